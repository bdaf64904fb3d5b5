package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/engine"
)

func TestParseString(t *testing.T) {
	// String() shows the tree shape: precedence, n-ary and/or, arguments,
	// quoting and transformers.
	tests := []struct{ in, want string }{
		{"a or b and c", "(a or (b and c))"},
		{"a and b or c", "((a and b) or c)"},
		{"not a and b", "(not a and b)"},
		{"not (a and b)", "not (a and b)"},
		{"not not a", "a"},
		{"not not not a", "not a"},
		{"a and b and c or d or e", "((a and b and c) or d or e)"},
		{"a and(b or c)", "(a and (b or c))"},
		{"not(a)", "not a"},
		{"proc.name=cat", "proc.name = cat"},
		{"proc.name == 'ca t'", `proc.name = "ca t"`},
		{"proc.aname[2] in (a,b , \"c d\")", `proc.aname[2] in (a, b, "c d")`},
		{"evt.arg.flags contains O_", "evt.arg.flags contains O_"},
		{"container.mount.dest[/proc*] exists", "container.mount.dest[/proc*] exists"},
		{"proc.env['A B'] = x", `proc.env["A B"] = x`},
		{"evt.dir=<", "evt.dir = <"},
		{"evt.dir = >", "evt.dir = >"},
		{"proc.name=runc:[0:PARENT]", "proc.name = runc:[0:PARENT]"},
		{"fd.num>=0", "fd.num >= 0"},
		{"evt.rawres<-1", "evt.rawres < -1"},
		{"fd.sport in(80,443)", "fd.sport in (80, 443)"},
		{"proc.name in shell_binaries", "proc.name in shell_binaries"},
		{"proc.name = val(proc.pname)", "proc.name = val(proc.pname)"},
		{"tolower( proc.name ) = bash", "tolower(proc.name) = bash"},
		{"len(tolower(proc.name))>2", "len(tolower(proc.name)) > 2"},
		{"proc.name exists", "proc.name exists"},
		{"proc.name existsnot", "proc.name exists"}, // rejected below: trailing text
		{`proc.name = "a\"b\\c\x41\n"`, `proc.name = "a\"b\x5ccA\n"`},
		{`proc.name = 'it\'s'`, `proc.name = "it's"`},
		{"\tproc.name\n=\ncat\r\n", "proc.name = cat"},
		{"macro_a", "macro_a"},
		{"proc.name startswith oneof (a, b)", "proc.name startswith oneof (a, b)"},
		{"proc.name = allof lst", "proc.name = allof lst"},
		{"proc.name = oneof and x", "(proc.name = oneof and x)"},
		{"proc.name contains anyof a_list", "proc.name contains anyof a_list"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			n, err := engine.Parse(tc.in, engine.ParseOptions{})
			if tc.in == "proc.name existsnot" {
				if err == nil {
					t.Fatalf("Parse(%q) succeeded, want error", tc.in)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := n.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			// The printed form parses back to the same tree.
			n2, err := engine.Parse(n.String(), engine.ParseOptions{})
			if err != nil {
				t.Fatalf("reparse %q: %v", n.String(), err)
			}
			if n2.String() != n.String() {
				t.Errorf("reparse = %q, want %q", n2.String(), n.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // Error() + "\n" + Snippet()
		kind engine.ErrorKind
	}{
		{"", "1:1: filter input string is empty\n\n^", engine.KindSyntax},
		{"proc.name = cat and", "1:20: expected blank or '(' after 'and'\nproc.name = cat and\n                   ^", engine.KindSyntax},
		{"proc.name = cat and ", "1:21: expected a '(' token, a field check, or an identifier\nproc.name = cat and \n                    ^", engine.KindSyntax},
		{"proc.name cat", "1:11: expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'\nproc.name cat\n          ^", engine.KindUnknownOperator},
		{"(proc.name = cat", "1:17: expected a ')' token\n(proc.name = cat\n                ^", engine.KindSyntax},
		{"proc.name = cat)", "1:16: unexpected token after 'cat', expecting 'or', 'and'\nproc.name = cat)\n               ^", engine.KindSyntax},
		{"proc.name in (a, b", "1:19: expected a ')' token\nproc.name in (a, b\n                  ^", engine.KindSyntax},
		{"proc.name in (a,)", "1:17: expected a string value\nproc.name in (a,)\n                ^", engine.KindSyntax},
		{"proc.pid > x", "1:12: expected a number value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'\nproc.pid > x\n           ^", engine.KindSyntax},
		{"proc.name = cat andx", "1:20: expected blank or '(' after 'and'\nproc.name = cat andx\n                   ^", engine.KindSyntax},
		{"proc.name = cat orx", "1:19: expected blank or '(' after 'or'\nproc.name = cat orx\n                  ^", engine.KindSyntax},
		{"proc.aname[2 = x", "1:13: expected a ']' token\nproc.aname[2 = x\n            ^", engine.KindSyntax},
		{"proc.name = \"abc", "1:13: expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'\nproc.name = \"abc\n            ^", engine.KindSyntax},
		{`proc.name = 'a\"b'`, "1:13: invalid \\\" escape in '-quoted string\nproc.name = 'a\\\"b'\n            ^", engine.KindSyntax},
		{`proc.name = "a\qb"`, "1:13: unsupported string escape sequence: \\q\nproc.name = \"a\\qb\"\n            ^", engine.KindSyntax},
		{"proc.name = val(x)", "1:17: expected a field within 'val' transformer\nproc.name = val(x)\n                ^", engine.KindSyntax},
		{"a and\n  b =", "2:5: unexpected token after 'b', expecting 'or', 'and'\n  b =\n    ^", engine.KindSyntax},
		{"a and\n  b.c =", "2:8: expected a string value or a field with a valid transformer: 'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'\n  b.c =\n       ^", engine.KindSyntax},
		{"proc.name contains", "1:11: expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'\nproc.name contains\n          ^", engine.KindUnknownOperator},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := engine.Parse(tc.in, engine.ParseOptions{})
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error = %v, want *engine.Error", tc.in, err)
			}
			if e.Kind != tc.kind {
				t.Errorf("Kind = %v, want %v", e.Kind, tc.kind)
			}
			if diff := cmp.Diff(tc.want, e.Error()+"\n"+e.Snippet()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBudgets(t *testing.T) {
	const deep = 100000
	tests := []struct {
		name string
		text string
		opts engine.ParseOptions
		want string
	}{
		{"100000 parentheses", strings.Repeat("(", deep) + "a" + strings.Repeat(")", deep), engine.ParseOptions{},
			"exceeded max depth limit of 1000"},
		{"100000 nots in parentheses", strings.Repeat("not (", deep) + "a" + strings.Repeat(")", deep), engine.ParseOptions{},
			"exceeded max depth limit of 1000"},
		{"100000 transformers", strings.Repeat("tolower(", deep) + "proc.name" + strings.Repeat(")", deep) + " = x",
			engine.ParseOptions{}, "exceeded max depth limit of 1000"},
		{"node budget", strings.Repeat("a or ", 200) + "a", engine.ParseOptions{MaxNodes: 100},
			"exceeded max node limit of 100"},
		{"small depth", "((a))", engine.ParseOptions{MaxDepth: 5}, "exceeded max depth limit of 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.Parse(tc.text, tc.opts)
			var e *engine.Error
			if !errors.As(err, &e) || e.Kind != engine.KindLimit {
				t.Fatalf("Parse error = %v, want a limit error", err)
			}
			if e.Msg != tc.want {
				t.Errorf("Msg = %q, want %q", e.Msg, tc.want)
			}
		})
	}
	// 100,000 repeated nots need no recursion and parse fine.
	if _, err := engine.Parse(strings.Repeat("not ", deep)+"a", engine.ParseOptions{}); err != nil {
		t.Errorf("100000 nots: %v", err)
	}
}

// TestParseLarge checks that a 200,000-item list (an IOC list) parses,
// whatever the node budget (list items do not count against it), and that
// it and a long condition parse well under a second: parsing is linear in
// the text length. The fastest of three runs is compared, as the machine
// may be busy.
func TestParseLarge(t *testing.T) {
	const bound = time.Second
	tests := []struct {
		name  string
		text  string
		opts  engine.ParseOptions
		items int // the length of the list the text is a check against; 0 for no list
	}{
		{"200000 IP addresses", ipList(200000), engine.ParseOptions{}, 200000},
		{"200000 host names", hostList(200000), engine.ParseOptions{}, 200000},
		{"200000 items, node budget of 10", ipList(200000), engine.ParseOptions{MaxNodes: 10}, 200000},
		{"1000 conditions", orChain(1000), engine.ParseOptions{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fastest := time.Duration(1<<63 - 1)
			for range 3 {
				start := time.Now()
				n, err := engine.Parse(tc.text, tc.opts)
				fastest = min(fastest, time.Since(start))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if tc.items == 0 {
					continue
				}
				c, ok := n.(*engine.CheckExpr)
				if !ok {
					t.Fatalf("Parse = %T, want *engine.CheckExpr", n)
				}
				if l, ok := c.Right.(*engine.ListExpr); !ok || len(l.Items) != tc.items {
					t.Fatalf("right-hand side = %T, want a list of %d items", c.Right, tc.items)
				}
			}
			t.Logf("%d bytes: %v", len(tc.text), fastest)
			if fastest > bound {
				t.Errorf("Parse took %v, want under %v", fastest, bound)
			}
		})
	}
}
