package hostile

import (
	"fmt"
	"strings"
)

// ruleTail is a rule that closes every generated file, so that it loads
// as a rule file with one rule using what came before.
func ruleTail(b *strings.Builder, name, cond, output string) {
	fmt.Fprintf(b, "- rule: %s\n  desc: generated\n  condition: %s\n  output: %q\n  priority: WARNING\n", name, cond, output)
}

// ListReferences returns a rule file whose one macro refers to a list n
// times (`proc.name in (shells) or ...`): list substitution that rebuilds
// the condition per reference is quadratic in n.
func ListReferences(n int) []byte {
	var b strings.Builder
	b.WriteString("- list: shells\n  items: [sh, bash, zsh]\n- macro: many_refs\n  condition: >-\n    ")
	for i := range n {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString("proc.name in (shells)")
	}
	b.WriteString("\n")
	ruleTail(&b, "Many list references", "evt.type = execve and many_refs", "shell %proc.name")
	return []byte(b.String())
}

// Appends returns a rule file that defines a macro and a rule and extends
// each n times with `append: true`: appending by copying the whole text is
// quadratic in n.
func Appends(n int) []byte {
	var b strings.Builder
	b.WriteString("- macro: grown\n  condition: proc.name = p0\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "- macro: grown\n  append: true\n  condition: or proc.name = p%d\n", i)
	}
	ruleTail(&b, "Grown rule", "evt.type = execve and (grown)", "run %proc.name")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "- rule: Grown rule\n  append: true\n  condition: and proc.pid != %d\n", i)
	}
	return []byte(b.String())
}

// ExceptionValues returns a rule file with one exception of n values of
// one field (`proc.name in (...)`).
func ExceptionValues(n int) []byte {
	var b strings.Builder
	ruleTail(&b, "Read sensitive file", "evt.type in (open, openat) and fd.name startswith /etc", "read %fd.name by %proc.name")
	b.WriteString("  exceptions:\n  - name: known_readers\n    fields: proc.name\n    comps: in\n    values:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - reader%d\n", i)
	}
	return []byte(b.String())
}

// ExceptionTuples returns a rule file with one exception of n value pairs
// over two fields (proc.name, fd.name): 2n comparisons in the condition.
func ExceptionTuples(n int) []byte {
	var b strings.Builder
	ruleTail(&b, "Read sensitive file", "evt.type in (open, openat) and fd.name startswith /etc", "read %fd.name by %proc.name")
	b.WriteString("  exceptions:\n  - name: known_readers\n    fields: [proc.name, fd.name]\n    comps: [=, startswith]\n    values:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - [reader%d, /etc/app%d]\n", i, i)
	}
	return []byte(b.String())
}

// OutputFields returns a rule file whose output has n `%field` tokens.
func OutputFields(n int) []byte {
	var out strings.Builder
	for i := range n {
		if i > 0 {
			out.WriteByte(' ')
		}
		fields := [...]string{"%proc.name", "%proc.pid", "%fd.name", "%evt.type", "%user.name"}
		out.WriteString(fields[i%len(fields)])
	}
	var b strings.Builder
	ruleTail(&b, "Wide output", "evt.type = execve", out.String())
	return []byte(b.String())
}

// SharedMacros returns a rule file of depth macros where each refers to
// the one before twice (m1 = m0 or m0, m2 = m1 or m1 ...): 10 KB of text
// whose conditions, expanded as text, are 2^depth times larger. It
// validates and replays in linear time; printing it must share the
// macros, not expand them.
func SharedMacros(depth int) []byte {
	var b strings.Builder
	b.WriteString("- macro: m0\n  condition: proc.name = sh\n")
	for i := 1; i <= depth; i++ {
		fmt.Fprintf(&b, "- macro: m%d\n  condition: (m%d or m%d)\n", i, i-1, i-1)
	}
	ruleTail(&b, "Shared macros", fmt.Sprintf("evt.type = execve and m%d", depth), "shell %proc.name")
	return []byte(b.String())
}

// LargeList returns a rule file of about size bytes: one list of short
// items and a rule. Several of them exceed a per-load bound that each one
// alone stays under.
func LargeList(name string, size int) []byte {
	var b strings.Builder
	b.Grow(size + 256)
	fmt.Fprintf(&b, "- list: %s\n  items: [", name)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "i%d", i)
	}
	b.WriteString("]\n")
	ruleTail(&b, "Large list "+name, "evt.type = execve", "run %proc.name")
	return []byte(b.String())
}
