// Package habits meets Falco's and sysdig's users where their habits differ
// from retrace: it maps their command lines and flags to retrace's
// equivalents, for help texts and for hints in error messages.
package habits

import (
	"fmt"
	"regexp"
	"strings"
	"text/tabwriter"
)

// Equivalent is a Falco or sysdig command line and the retrace command line
// that does the same on a recorded capture.
type Equivalent struct {
	Command string // the retrace command whose help lists it
	Theirs  string // as a Falco or sysdig user types it
	Ours    string // retrace's equivalent
}

// Equivalents lists the command lines Falco's and sysdig's users type most,
// by retrace command.
var Equivalents = []Equivalent{
	{"replay", "falco -e CAPTURE", "retrace replay CAPTURE (-e CAPTURE also works)"},
	{"replay", "falco -r RULES -e CAPTURE", "retrace replay -r RULES CAPTURE"},
	{"replay", "falco -c falco.yaml -o key=value", "retrace replay -c falco.yaml -o key=value CAPTURE"},
	{"replay", "falco -o json_output=true", "retrace replay -o json CAPTURE"},
	{"replay", "falco -t TAG / -T TAG / -D NAME / -p PRIO", "the same flags on retrace replay"},
	{"replay", "falco -M SECONDS", "retrace replay -M SECONDS (or --until +SECONDSs)"},
	{"replay", "falco -L / -l RULE / -V FILE / --list", "the same flags, or retrace rules list|show|validate|fields"},
	{"events", "sysdig -r CAPTURE FILTER", "retrace events CAPTURE FILTER"},
	{"events", "sysdig -r CAPTURE -p FORMAT FILTER", "retrace events CAPTURE FILTER -p FORMAT"},
	{"events", "sysdig -r CAPTURE -j", "retrace events CAPTURE -j"},
	{"events", "sysdig -r CAPTURE -w OUT FILTER", "retrace events CAPTURE FILTER -w OUT"},
	{"timeline", "sysdig -r CAPTURE -c spy_users", "retrace timeline CAPTURE commands"},
	{"timeline", "sysdig -r CAPTURE -c topfiles_bytes", "retrace timeline CAPTURE files"},
	{"timeline", "sysdig -r CAPTURE -c topconns / netstat", "retrace timeline CAPTURE connections"},
	{"timeline", "sysdig -r CAPTURE -c echo_fds", "retrace timeline CAPTURE io"},
	{"timeline", "sysdig -r CAPTURE -c topprocs_errors", "retrace timeline CAPTURE errors"},
	{"timeline", "sysdig -r CAPTURE -c ps", "retrace timeline CAPTURE tree"},
	{"record", "sysdig -w OUT.scap", "retrace record -o OUT.scap.zst"},
	{"record", "sysdig -w OUT -s N", "retrace record -o OUT --snaplen N"},
	{"record", "sysdig -w OUT container.name=C", "retrace record -o OUT --filter-container C"},
	{"record", "sysdig -w OUT proc.name=N", "retrace record -o OUT --filter-comm N"},
	{"info", "sysdig -r CAPTURE -c topscalls / evt counts", "retrace info CAPTURE"},
	{"convert", "sysdig -r IN -w OUT", "retrace convert IN OUT"},
	{"rules", "falco -L", "retrace rules list"},
	{"rules", "falco -l RULE", "retrace rules show RULE"},
	{"rules", "falco -V FILE", "retrace rules validate FILE"},
	{"rules", "falco --list", "retrace rules fields"},
	{"test", "falco -e CAPTURE -r RULES | compare by hand", "retrace test SUITE.yaml"},
}

// Help returns the help text section listing the equivalents for command,
// or every equivalent when command is "" (the top-level help); "" when
// the command has none.
func Help(command string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	n := 0
	for _, e := range Equivalents {
		if command != "" && e.Command != command {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\n", e.Theirs, e.Ours)
		n++
	}
	if n == 0 {
		return ""
	}
	tw.Flush()
	return "\n\nFalco and sysdig equivalents:\n" + b.String()
}

// foreignFlags maps flags of falco and sysdig that retrace's commands do
// not have to what to use instead.
var foreignFlags = map[string]string{
	"w":            "sysdig's -w writes the selected events: retrace events CAPTURE FILTER -w OUT (or retrace convert IN OUT)",
	"j":            "sysdig's -j prints JSON: -o json here, or retrace events -j",
	"c":            "sysdig's chisels are retrace timeline views: spy_users → commands, topfiles_* → files, topconns/netstat → connections, echo_fds → io, topprocs_errors → errors; retrace timeline --help lists them",
	"chisel":       "sysdig's chisels are retrace timeline views: spy_users → commands, topfiles_* → files, topconns/netstat → connections, echo_fds → io; retrace timeline --help lists them",
	"s":            "sysdig's -s (snaplen) is set when recording: retrace record --snaplen N",
	"snaplen":      "the snaplen is set when recording: retrace record --snaplen N",
	"M":            "Falco's -M stops after N seconds: retrace replay -M N, or --until +DURATION (e.g. --until +30s)",
	"k":            "the Kubernetes API is not reachable offline: Kubernetes metadata comes from what the recorder wrote into the capture",
	"K":            "the Kubernetes API is not reachable offline: Kubernetes metadata comes from what the recorder wrote into the capture",
	"pidfile":      "retrace replay runs in the foreground and writes no pidfile",
	"daemon":       "retrace replay runs in the foreground on recorded captures",
	"modern-bpf":   "drivers are for live capture: retrace record records with eBPF, replay reads captures",
	"u":            "drivers are for live capture: retrace record records with eBPF, replay reads captures",
	"N":            "retrace never resolves host names (captures are replayed offline)",
	"S":            "the summary line on stderr gives the event counts (drop -q to see it); retrace info CAPTURE gives the capture's statistics",
	"list-plugins": "plugins are not supported: retrace reads syscall captures",
}

// ForeignFlag returns what to use instead of a Falco or sysdig flag (name
// without dashes) that a retrace command does not have.
func ForeignFlag(name string) (hint string, ok bool) {
	hint, ok = foreignFlags[name]
	return hint, ok
}

// unknownFlagRE matches pflag's unknown-flag errors.
var unknownFlagRE = regexp.MustCompile(`^unknown (?:shorthand )?flag: (?:--([^ =]+)|'(.)' in -)`)

// UnknownFlagName returns the name, without dashes, of the flag that an
// unknown-flag error message of pflag names.
func UnknownFlagName(msg string) (string, bool) {
	m := unknownFlagRE.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// filterLikeRE matches arguments that read as a filter rather than a file:
// a comparison, or a Falco field name followed by an operator.
var filterLikeRE = regexp.MustCompile(`[=<>!]|^\(|\b(and|or|not|in|contains|startswith|exists)\b|^(evt|proc|fd|user|group|container|thread|fs)\.[a-z]`)

// LooksLikeFilter reports whether arg reads as a sysdig filter rather than
// a file name.
func LooksLikeFilter(arg string) bool { return filterLikeRE.MatchString(arg) }

// PositionalFilter explains a filter given where replay expects captures.
func PositionalFilter(arg string) string {
	return fmt.Sprintf("%q is not a capture file but looks like a filter: replay runs rules on captures; "+
		"to select events use -F %q, or retrace events CAPTURE %q as with sysdig -r CAPTURE FILTER", arg, arg, arg)
}

// FormatAsPriority explains a sysdig-style format given to -p, which is
// Falco's priority flag on replay; "" when p has no %field.
func FormatAsPriority(p string) string {
	if !strings.Contains(p, "%") {
		return ""
	}
	return fmt.Sprintf("-p %q: -p is Falco's minimum priority here; for sysdig's -p format use --format with -F, "+
		"or retrace events CAPTURE FILTER -p FORMAT", p)
}
