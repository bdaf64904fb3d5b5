// Command gen writes the scap event table, the flag/enum tables and the
// ppm_sc syscall names as Go data (table_gen.go in package scap) from the
// text files beside it: events.txt, flags.txt and syscalls.txt.
//
// Usage (from package scap, through go generate):
//
//	go run ./internal/gen -dir internal/gen -out table_gen.go
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	dir := flag.String("dir", "internal/gen", "directory holding events.txt, flags.txt and syscalls.txt")
	out := flag.String("out", "table_gen.go", "output Go file")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	evs, err := ParseEvents(filepath.Join(dir, "events.txt"))
	if err != nil {
		return err
	}
	tabs, dyns, err := ParseFlags(filepath.Join(dir, "flags.txt"))
	if err != nil {
		return err
	}
	scs, err := ParseSyscalls(filepath.Join(dir, "syscalls.txt"))
	if err != nil {
		return err
	}
	if err := check(evs, tabs, dyns); err != nil {
		return err
	}
	src, err := render(evs, tabs, dyns, scs)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

// Event is one line of events.txt.
type Event struct {
	Code   int
	Enum   string
	Name   string
	Dir    byte
	Flags  []string
	Params []Param
}

// Param is one parameter of an Event.
type Param struct {
	Name   string
	Type   string
	Format string
	Table  string
	DirFD  int
}

// Table is one flag/enum table of flags.txt.
type Table struct {
	Name    string
	Entries []Entry
}

// Entry is one name/value pair of a Table.
type Entry struct {
	Name  string
	Value uint32
}

// Dyn is one dynamic parameter table of flags.txt.
type Dyn struct {
	Name  string
	Types [][2]string // type, format
}

// Syscall is one line of syscalls.txt.
type Syscall struct {
	ID   int
	Name string
}

func dataLines(path string) ([][]string, []int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read data: %w", err)
	}
	var lines [][]string
	var nums []int
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, strings.Fields(l))
		nums = append(nums, i+1)
	}
	return lines, nums, nil
}

// ParseEvents reads events.txt.
func ParseEvents(path string) ([]Event, error) {
	lines, nums, err := dataLines(path)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for k, f := range lines {
		bad := func(msg string) error { return fmt.Errorf("%s:%d: %s", path, nums[k], msg) }
		if len(f) < 5 {
			return nil, bad("want CODE ENUM NAME DIR FLAGS PARAM...")
		}
		code, err := strconv.Atoi(f[0])
		if err != nil || code != len(evs) {
			return nil, bad(fmt.Sprintf("code %q out of order (want %d)", f[0], len(evs)))
		}
		if f[3] != "E" && f[3] != "X" {
			return nil, bad("direction must be E or X")
		}
		ev := Event{Code: code, Enum: f[1], Name: f[2], Dir: f[3][0]}
		if f[4] != "-" {
			ev.Flags = strings.Split(f[4], "|")
		}
		for _, tok := range f[5:] {
			p := Param{DirFD: -1}
			name, rest, ok := strings.Cut(tok, ":")
			if !ok {
				return nil, bad("param " + tok + ": want name:TYPE/FORMAT")
			}
			p.Name = name
			if i := strings.IndexByte(rest, '@'); i >= 0 {
				n, err := strconv.Atoi(rest[i+1:])
				if err != nil {
					return nil, bad("param " + tok + ": bad dirfd index")
				}
				p.DirFD = n
				rest = rest[:i]
			}
			if i := strings.IndexByte(rest, '='); i >= 0 {
				p.Table = rest[i+1:]
				rest = rest[:i]
			}
			p.Type, p.Format, ok = strings.Cut(rest, "/")
			if !ok {
				return nil, bad("param " + tok + ": missing /FORMAT")
			}
			ev.Params = append(ev.Params, p)
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// ParseFlags reads flags.txt.
func ParseFlags(path string) ([]Table, []Dyn, error) {
	lines, nums, err := dataLines(path)
	if err != nil {
		return nil, nil, err
	}
	var tabs []Table
	var dyns []Dyn
	for k, f := range lines {
		bad := func(msg string) error { return fmt.Errorf("%s:%d: %s", path, nums[k], msg) }
		switch {
		case f[0] == "table" && len(f) == 2:
			tabs = append(tabs, Table{Name: f[1]})
		case f[0] == "dyn" && len(f) >= 3:
			d := Dyn{Name: f[1]}
			for _, t := range f[2:] {
				ty, fm, ok := strings.Cut(t, "/")
				if !ok {
					return nil, nil, bad("dyn entry " + t + ": want TYPE/FORMAT")
				}
				d.Types = append(d.Types, [2]string{ty, fm})
			}
			dyns = append(dyns, d)
		case len(f) == 2 && len(tabs) > 0:
			v, err := strconv.ParseUint(f[1], 10, 32)
			if err != nil {
				return nil, nil, bad("bad value " + f[1])
			}
			t := &tabs[len(tabs)-1]
			t.Entries = append(t.Entries, Entry{Name: f[0], Value: uint32(v)})
		default:
			return nil, nil, bad("unexpected line")
		}
	}
	return tabs, dyns, nil
}

// ParseSyscalls reads syscalls.txt.
func ParseSyscalls(path string) ([]Syscall, error) {
	lines, nums, err := dataLines(path)
	if err != nil {
		return nil, err
	}
	var scs []Syscall
	for k, f := range lines {
		id, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 2 || id != len(scs) {
			return nil, fmt.Errorf("%s:%d: want ID NAME in order (next id %d)", path, nums[k], len(scs))
		}
		scs = append(scs, Syscall{ID: id, Name: f[1]})
	}
	return scs, nil
}

var knownFlags = map[string]string{
	"CREATES_FD": "EFCreatesFD", "DESTROYS_FD": "EFDestroysFD", "USES_FD": "EFUsesFD",
	"READS_FROM_FD": "EFReadsFromFD", "WRITES_TO_FD": "EFWritesToFD", "MODIFIES_STATE": "EFModifiesState",
	"UNUSED": "EFUnused", "WAITS": "EFWaits", "SKIPPARSERESET": "EFSkipParseReset",
	"OLD_VERSION": "EFOldVersion", "LARGE_PAYLOAD": "EFLargePayload", "CONVERTER_MANAGED": "EFConverterManaged",
}

var knownFormats = map[string]string{
	"NA": "PFNA", "DEC": "PFDec", "HEX": "PFHex", "10_PADDED_DEC": "PF10PaddedDec",
	"ID": "PFID", "DIR": "PFDir", "OCT": "PFOct",
}

// typeConst maps a PT_ name (without PT_) to its Go constant.
func typeConst(t string) string {
	special := map[string]string{
		"SYSCALLID": "PTSyscallID", "FSPATH": "PTFSPath", "FSRELPATH": "PTFSRelPath", "FDLIST": "PTFDList",
		"FD": "PTFD", "PID": "PTPID", "UID": "PTUID", "GID": "PTGID", "FD32": "PTFD32", "PID32": "PTPID32",
		"IPV4ADDR": "PTIPv4Addr", "IPV6ADDR": "PTIPv6Addr", "IPV4NET": "PTIPv4Net", "IPV6NET": "PTIPv6Net",
		"IPADDR": "PTIPAddr", "IPNET": "PTIPNet", "L4PROTO": "PTL4Proto", "SOCKFAMILY": "PTSockFamily",
		"SOCKADDR": "PTSockAddr", "SOCKTUPLE": "PTSockTuple", "CHARBUF": "PTCharBuf", "BYTEBUF": "PTByteBuf",
		"CHARBUFARRAY": "PTCharBufArray", "CHARBUF_PAIR_ARRAY": "PTCharBufPairArray", "SIGTYPE": "PTSigType",
		"SIGSET": "PTSigSet", "RELTIME": "PTRelTime", "ABSTIME": "PTAbsTime", "ERRNO": "PTErrno",
		"ENUMFLAGS8": "PTEnumFlags8", "ENUMFLAGS16": "PTEnumFlags16", "ENUMFLAGS32": "PTEnumFlags32",
		"FLAGS8": "PTFlags8", "FLAGS16": "PTFlags16", "FLAGS32": "PTFlags32", "DYN": "PTDyn",
		"INT8": "PTInt8", "INT16": "PTInt16", "INT32": "PTInt32", "INT64": "PTInt64",
		"UINT8": "PTUint8", "UINT16": "PTUint16", "UINT32": "PTUint32", "UINT64": "PTUint64",
		"PORT": "PTPort", "BOOL": "PTBool", "MODE": "PTMode", "DOUBLE": "PTDouble",
	}
	return special[t]
}

func check(evs []Event, tabs []Table, dyns []Dyn) error {
	names := map[string]bool{}
	for _, t := range tabs {
		if names[t.Name] {
			return fmt.Errorf("table %s defined twice", t.Name)
		}
		names[t.Name] = true
	}
	for _, d := range dyns {
		names[d.Name] = true
		for _, ty := range d.Types {
			if typeConst(ty[0]) == "" || knownFormats[ty[1]] == "" {
				return fmt.Errorf("dyn %s: unknown type or format %v", d.Name, ty)
			}
		}
	}
	for _, e := range evs {
		for _, f := range e.Flags {
			if knownFlags[f] == "" {
				return fmt.Errorf("event %d: unknown flag %s", e.Code, f)
			}
		}
		for _, p := range e.Params {
			if typeConst(p.Type) == "" {
				return fmt.Errorf("event %d param %s: unknown type %s", e.Code, p.Name, p.Type)
			}
			if knownFormats[p.Format] == "" {
				return fmt.Errorf("event %d param %s: unknown format %s", e.Code, p.Name, p.Format)
			}
			if p.Table != "" && !names[p.Table] {
				return fmt.Errorf("event %d param %s: unknown table %s", e.Code, p.Name, p.Table)
			}
			if p.DirFD >= len(e.Params) {
				return fmt.Errorf("event %d param %s: dirfd index out of range", e.Code, p.Name)
			}
		}
	}
	return nil
}

// GoName turns an enum name such as SYSCALL_OPENAT_2_X into SyscallOpenatV2X.
func GoName(enum string) string {
	var b strings.Builder
	for _, part := range strings.Split(enum, "_") {
		if part == "" {
			continue
		}
		if strings.Trim(part, "0123456789") == "" {
			b.WriteString("V") // version suffix: OPENAT_2 -> OpenatV2, unlike OPENAT2 -> Openat2
		}
		r := []rune(strings.ToLower(part))
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

func tableVar(name string) string {
	return "tab" + GoName(strings.ToUpper(name))
}

func render(evs []Event, tabs []Table, dyns []Dyn, scs []Syscall) ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("// Code generated by capture/scap/internal/gen from events.txt, flags.txt and syscalls.txt. DO NOT EDIT.\n\n")
	w("package scap\n\n")
	w("// NumTypes is the number of event codes in the table (PPM_EVENT_MAX of libs 48dfd53).\n")
	w("const NumTypes = %d\n\n", len(evs))
	w("// NumSyscalls is the number of ppm_sc syscall codes (PPM_SC_MAX of libs 48dfd53).\n")
	w("const NumSyscalls = %d\n\n", len(scs))
	w("// Event codes, named after libs' PPME_ enum without the PPME_ prefix.\n")
	w("const (\n")
	for _, e := range evs {
		w("\t%s Type = %d // PPME_%s %s %c\n", GoName(e.Enum), e.Code, e.Enum, e.Name, e.Dir)
	}
	w(")\n\n")
	w("var eventTable = [NumTypes]Info{\n")
	for _, e := range evs {
		fl := "0"
		if len(e.Flags) > 0 {
			var fs []string
			for _, f := range e.Flags {
				fs = append(fs, knownFlags[f])
			}
			fl = strings.Join(fs, " | ")
		}
		w("\t{Code: %d, Enum: %q, Name: %q, Dir: '%c', Flags: %s", e.Code, "PPME_"+e.Enum, e.Name, e.Dir, fl)
		if len(e.Params) > 0 {
			w(", Params: []Param{")
			for i, p := range e.Params {
				if i > 0 {
					w(", ")
				}
				w("{Name: %q, Type: %s, Format: %s, DirFD: %d", p.Name, typeConst(p.Type), knownFormats[p.Format], p.DirFD)
				if p.Table != "" {
					w(", Table: %q", p.Table)
				}
				w("}")
			}
			w("}")
		}
		w("},\n")
	}
	w("}\n\n")
	for _, t := range tabs {
		w("var %s = []NameValue{\n", tableVar(t.Name))
		for _, en := range t.Entries {
			w("\t{%q, %d},\n", en.Name, en.Value)
		}
		w("}\n\n")
	}
	w("// flagTable returns the flag/enum table called name (libs' flags_table.c).\n")
	w("func flagTable(name string) []NameValue {\n\tswitch name {\n")
	for _, t := range tabs {
		w("\tcase %q:\n\t\treturn %s\n", t.Name, tableVar(t.Name))
	}
	w("\t}\n\treturn nil\n}\n\n")
	w("// flagTableNames lists every flag/enum table name in data order.\n")
	w("var flagTableNames = [...]string{\n")
	for _, t := range tabs {
		w("\t%q,\n", t.Name)
	}
	w("}\n\n")
	for _, d := range dyns {
		w("var %s = []Param{", "dyn"+GoName(strings.ToUpper(d.Name)))
		for i, ty := range d.Types {
			if i > 0 {
				w(", ")
			}
			w("{Type: %s, Format: %s, DirFD: -1}", typeConst(ty[0]), knownFormats[ty[1]])
		}
		w("}\n\n")
	}
	w("// dynTable returns the dynamic parameter table called name (libs' dynamic_params_table.c).\n")
	w("func dynTable(name string) []Param {\n\tswitch name {\n")
	for _, d := range dyns {
		w("\tcase %q:\n\t\treturn %s\n", d.Name, "dyn"+GoName(strings.ToUpper(d.Name)))
	}
	w("\t}\n\treturn nil\n}\n\n")
	w("var syscallNames = [NumSyscalls]string{\n")
	for _, s := range scs {
		w("\t%q,\n", s.Name)
	}
	w("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated code: %w", err)
	}
	return src, nil
}
