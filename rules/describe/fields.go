package describe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/retrace-dev/retrace/engine"
)

// Field is a field as `rules fields --json` prints it.
type Field struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Argument string   `json:"argument"`
	Syntax   []string `json:"argument_syntax,omitempty"`
	Flags    []string `json:"flags,omitempty"`
	Desc     string   `json:"description"`
}

// ArgSyntax names the argument forms s allows: "[N]", "[key]", ".name".
func ArgSyntax(s engine.ArgSyntax) []string {
	var out []string
	if s&engine.ArgIndex != 0 {
		out = append(out, "[N]")
	}
	if s&engine.ArgKey != 0 {
		out = append(out, "[key]")
	}
	if s&engine.ArgDotted != 0 {
		out = append(out, ".name")
	}
	return out
}

// fieldFlagNames names the field flags in listing order.
var fieldFlagNames = []struct {
	bit  engine.FieldFlags
	name string
}{
	{engine.FlagFilterOnly, "filter-only"}, {engine.FlagPrintOnly, "output-only"},
	{engine.FlagNoRHS, "no-val"}, {engine.FlagNoTransformer, "no-transformer"},
	{engine.FlagDeprecated, "deprecated"}, {engine.FlagTableOnly, "table-only"},
}

// FieldFlags names the flags set in f.
func FieldFlags(f engine.FieldFlags) []string {
	var out []string
	for _, x := range fieldFlagNames {
		if f&x.bit != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

// Fields writes the fields: a table of name, type, argument and
// description (with its flags), or a JSON array.
func Fields(w io.Writer, fields []engine.FieldInfo, asJSON bool) error {
	if asJSON {
		list := make([]Field, 0, len(fields))
		for _, f := range fields {
			list = append(list, Field{Name: f.Name, Type: f.Type.String(), Argument: f.Arg.String(),
				Syntax: ArgSyntax(f.ArgSyntax), Flags: FieldFlags(f.Flags), Desc: f.Desc})
		}
		return writeJSON(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTYPE\tARGUMENT\tDESCRIPTION")
	for _, f := range fields {
		arg := f.Arg.String()
		if f.Arg != engine.ArgNone {
			arg += " " + strings.Join(ArgSyntax(f.ArgSyntax), "|")
		}
		desc := f.Desc
		if fl := FieldFlags(f.Flags); len(fl) > 0 {
			desc += " (" + strings.Join(fl, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Type, arg, desc)
	}
	return tw.Flush()
}
