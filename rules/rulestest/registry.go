package rulestest

import (
	"bufio"
	"fmt"
	"github.com/retrace-dev/retrace/replay"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/engine"
)

// EventTypes returns the scap event type table rules are indexed by.
func EventTypes() engine.EventTypes { return scap.EventTypeIndex{} }

// containerFields are the container plugin's fields (name, type, argument),
// which retrace provides itself.
var containerFields = []struct {
	name string
	typ  engine.FieldType
	arg  engine.ArgKind
	desc string
}{
	{"container.id", engine.TypeString, engine.ArgNone, "container id"},
	{"container.full_id", engine.TypeString, engine.ArgNone, "full container id"},
	{"container.name", engine.TypeString, engine.ArgNone, "container name"},
	{"container.image", engine.TypeString, engine.ArgNone, "container image"},
	{"container.image.id", engine.TypeString, engine.ArgNone, "container image id"},
	{"container.image.repository", engine.TypeString, engine.ArgNone, "container image repository"},
	{"container.image.tag", engine.TypeString, engine.ArgNone, "container image tag"},
	{"container.image.digest", engine.TypeString, engine.ArgNone, "container image digest"},
	{"container.type", engine.TypeString, engine.ArgNone, "container runtime type"},
	{"container.privileged", engine.TypeBool, engine.ArgNone, "container runs privileged"},
	{"container.mounts", engine.TypeString, engine.ArgNone, "container mounts"},
	{"container.mount", engine.TypeString, engine.ArgRequired, "one container mount"},
	{"container.mount.source", engine.TypeString, engine.ArgRequired, "mount source"},
	{"container.mount.dest", engine.TypeString, engine.ArgRequired, "mount destination"},
	{"container.mount.mode", engine.TypeString, engine.ArgRequired, "mount mode"},
	{"container.mount.rdwr", engine.TypeString, engine.ArgRequired, "mount read/write"},
	{"container.mount.propagation", engine.TypeString, engine.ArgRequired, "mount propagation"},
	{"container.start_ts", engine.TypeAbsTime, engine.ArgNone, "container start time"},
	{"container.duration", engine.TypeRelTime, engine.ArgNone, "container age"},
	{"container.ip", engine.TypeString, engine.ArgNone, "container ip"},
	{"container.cni.json", engine.TypeString, engine.ArgNone, "container cni result"},
	{"container.host_pid", engine.TypeBool, engine.ArgNone, "host pid namespace"},
	{"container.host_network", engine.TypeBool, engine.ArgNone, "host network namespace"},
	{"container.host_ipc", engine.TypeBool, engine.ArgNone, "host ipc namespace"},
	{"container.healthcheck", engine.TypeString, engine.ArgNone, "health check"},
	{"container.liveness_probe", engine.TypeString, engine.ArgNone, "liveness probe"},
	{"container.readiness_probe", engine.TypeString, engine.ArgNone, "readiness probe"},
	{"container.label", engine.TypeString, engine.ArgRequired, "container label"},
	{"container.labels", engine.TypeString, engine.ArgNone, "container labels"},
	{"proc.is_container_healthcheck", engine.TypeBool, engine.ArgNone, "health check process"},
	{"proc.is_container_liveness_probe", engine.TypeBool, engine.ArgNone, "liveness probe process"},
	{"proc.is_container_readiness_probe", engine.TypeBool, engine.ArgNone, "readiness probe process"},
	{"k8s.pod.name", engine.TypeString, engine.ArgNone, "pod name"},
	{"k8s.pod.id", engine.TypeString, engine.ArgNone, "pod id"},
	{"k8s.pod.uid", engine.TypeString, engine.ArgNone, "pod uid"},
	{"k8s.pod.sandbox_id", engine.TypeString, engine.ArgNone, "pod sandbox id"},
	{"k8s.pod.full_sandbox_id", engine.TypeString, engine.ArgNone, "pod full sandbox id"},
	{"k8s.pod.label", engine.TypeString, engine.ArgRequired, "pod label"},
	{"k8s.pod.labels", engine.TypeString, engine.ArgNone, "pod labels"},
	{"k8s.pod.ip", engine.TypeString, engine.ArgNone, "pod ip"},
	{"k8s.pod.cni.json", engine.TypeString, engine.ArgNone, "pod cni result"},
	{"k8s.ns.name", engine.TypeString, engine.ArgNone, "namespace name"},
}

// noValues is the fixture's extractor: it never produces a value.
var noValues = engine.ExtractorFunc(func(_ engine.Event, dst []engine.Value) []engine.Value { return dst })

// Registry returns the registry rules tests compile against: replay's own,
// the product's fields, so rules tests run in a clone without ../shared.
func Registry(tb testing.TB) engine.Registry {
	tb.Helper()
	return replay.NewFieldRegistry()
}

// NewRegistry builds the fixture registry from a sinsp-fields.tsv file.
func NewRegistry(path string) (*engine.FieldTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open field list: %w", err)
	}
	defer f.Close()
	return readRegistry(f)
}

// readRegistry builds the fixture registry from a sinsp-fields.tsv stream.
func readRegistry(r io.Reader) (*engine.FieldTable, error) {
	var defs []engine.FieldDef
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 0; sc.Scan(); line++ {
		cols := strings.Split(sc.Text(), "\t")
		if line == 0 || len(cols) < 4 || seen[cols[0]] {
			continue
		}
		seen[cols[0]] = true
		defs = append(defs, fieldDef(cols[0], cols[1], cols[2], cols[3]))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read field list: %w", err)
	}
	for _, c := range containerFields {
		if seen[c.name] {
			continue
		}
		info := engine.FieldInfo{Name: c.name, Type: c.typ, Arg: c.arg, Desc: c.desc}
		if c.arg != engine.ArgNone {
			info.ArgSyntax = engine.ArgKey | engine.ArgIndex
		}
		defs = append(defs, def(info))
	}
	return engine.NewFieldTable(defs)
}

func def(info engine.FieldInfo) engine.FieldDef {
	typ := info.Type
	if info.Name == "evt.rawarg" {
		typ = engine.TypeInt64
	}
	return engine.FieldDef{Info: info, Bind: func(engine.Arg) (engine.Binding, error) {
		return engine.Binding{Type: typ, Extractor: noValues}, nil
	}}
}

func fieldDef(name, pt, flags, desc string) engine.FieldDef {
	info := engine.FieldInfo{Name: name, Type: fieldType(pt), Desc: desc}
	for _, fl := range strings.Split(flags, "|") {
		switch strings.TrimSpace(fl) {
		case "EPF_ARG_REQUIRED":
			info.Arg = engine.ArgRequired
		case "EPF_ARG_ALLOWED":
			info.Arg = engine.ArgOptional
		case "EPF_IS_LIST":
			info.List = true
		case "EPF_FILTER_ONLY":
			info.Flags |= engine.FlagFilterOnly
		case "EPF_PRINT_ONLY":
			info.Flags |= engine.FlagPrintOnly
		case "EPF_NO_RHS":
			info.Flags |= engine.FlagNoRHS
		case "EPF_NO_TRANSFORMER":
			info.Flags |= engine.FlagNoTransformer
		case "EPF_DEPRECATED":
			info.Flags |= engine.FlagDeprecated
		case "EPF_TABLE_ONLY":
			info.Flags |= engine.FlagTableOnly
		}
	}
	switch {
	case info.Arg == engine.ArgNone:
	case strings.HasPrefix(name, "proc.a") && name != "proc.args":
		info.ArgSyntax = engine.ArgIndex
	case name == "proc.args" || name == "fd.types":
		info.ArgSyntax = engine.ArgIndex
	case name == "proc.env":
		info.ArgSyntax = engine.ArgKey
	case name == "evt.arg":
		info.ArgSyntax = engine.ArgIndex | engine.ArgKey | engine.ArgDotted
	default:
		info.ArgSyntax = engine.ArgKey | engine.ArgDotted
	}
	return def(info)
}

func fieldType(pt string) engine.FieldType {
	switch pt {
	case "PT_CHARBUF", "PT_FSPATH", "PT_FSRELPATH", "PT_DYN":
		return engine.TypeString
	case "PT_BYTEBUF":
		return engine.TypeBytes
	case "PT_INT8", "PT_INT16", "PT_INT32", "PT_INT64", "PT_ERRNO":
		return engine.TypeInt64
	case "PT_UINT8", "PT_UINT16", "PT_UINT32", "PT_UINT64":
		return engine.TypeUint64
	case "PT_BOOL":
		return engine.TypeBool
	case "PT_DOUBLE":
		return engine.TypeDouble
	case "PT_IPADDR", "PT_IPV4ADDR", "PT_IPV6ADDR":
		return engine.TypeIPAddr
	case "PT_IPNET":
		return engine.TypeIPNet
	case "PT_PORT":
		return engine.TypePort
	case "PT_RELTIME":
		return engine.TypeRelTime
	case "PT_ABSTIME":
		return engine.TypeAbsTime
	case "PT_PID":
		return engine.TypePID
	case "PT_FD":
		return engine.TypeFD
	}
	return engine.TypeString
}
