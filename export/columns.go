package export

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// processSources say where the attributes of a process object come from,
// by path below the object (actor.process or process).
var processSources = map[string]string{
	"pid":                               "`proc.pid`",
	"tid":                               "`thread.tid`",
	"uid":                               "host `:` `proc.pid` `:` `proc.pid.ts` (unique per host)",
	"name":                              "`proc.name`",
	"cmd_line":                          "`proc.cmdline`",
	"file.path":                         "`proc.exepath`",
	"file.name":                         "base name of `proc.exepath`",
	"file.parent_folder":                "directory of `proc.exepath`",
	"file.type_id":                      "1 (Regular File)",
	"file.type":                         "`Regular File`",
	"working_directory":                 "`proc.cwd`",
	"created_time":                      "`proc.pid.ts`",
	"user.name":                         "`user.name`",
	"user.uid":                          "`user.uid`",
	"group.name":                        "`group.name`",
	"group.uid":                         "`group.gid`",
	"auid":                              "`user.loginuid` (null when unset)",
	"parent_process.pid":                "`proc.ppid`",
	"parent_process.uid":                "host `:` `proc.ppid` `:` `proc.ppid.ts`",
	"parent_process.name":               "`proc.pname`",
	"parent_process.cmd_line":           "`proc.pcmdline`",
	"parent_process.file.path":          "`proc.pexepath`",
	"parent_process.file.name":          "base name of `proc.pexepath`",
	"parent_process.file.parent_folder": "directory of `proc.pexepath`",
	"parent_process.file.type_id":       "1 (Regular File)",
	"parent_process.file.type":          "`Regular File`",
	"parent_process.created_time":       "`proc.ppid.ts`",
	"lineage":                           "Detection Finding only: `proc.aexepath[1..8]` (`proc.aname[n]` when the path is unknown); empty elsewhere",
}

// fileSources say where a file object's attributes come from.
var fileSources = map[string]string{
	"path":          "see the class",
	"name":          "base name of `path`",
	"parent_folder": "directory of `path`",
	"type_id":       "from `fd.typechar` (f: 1, d: 2, u: 5, p: 6), 2 for mkdir, 7 for symlink, else 0",
	"type":          "caption of `type_id`",
}

// columnSources say where the other columns come from.
var columnSources = map[string]string{
	"time":                          "`evt.rawtime` (ms, UTC)",
	"class_uid":                     "the class",
	"class_name":                    "the class",
	"category_uid":                  "the class",
	"category_name":                 "the class",
	"activity_id":                   "see the event mapping",
	"activity_name":                 "see the event mapping",
	"type_uid":                      "class_uid × 100 + activity_id",
	"type_name":                     "class_name `: ` activity_name",
	"severity_id":                   "1 (Informational) for events; Detection Finding: from the rule's priority",
	"severity":                      "caption of severity_id",
	"status_id":                     "1 (Success), or 2 (Failure) when `evt.rawres` < 0",
	"status":                        "caption of status_id",
	"status_code":                   "`evt.res` on failure (ENOENT …)",
	"message":                       "Detection Finding: the rule's output (Falco's `output`)",
	"metadata.version":              "OCSF version, " + OCSFVersion,
	"metadata.product.name":         "`retrace`",
	"metadata.product.vendor_name":  "`retrace`",
	"metadata.product.version":      "retrace's version",
	"metadata.uid":                  "host `:` capture name `:` `evt.num` (Detection Finding: `:` rule name added)",
	"metadata.log_provider":         "`retrace`",
	"metadata.log_name":             "the capture's file name, without directory (`web-1.scap.zst`); with `device.hostname` it names the capture",
	"metadata.sequence":             "`evt.num`",
	"metadata.event_code":           "`evt.type`",
	"device.hostname":               "the capture's machine info (`evt.hostname`)",
	"device.type_id":                "0 (Unknown)",
	"device.type":                   "`Unknown`",
	"actor.user.name":               "`user.name`",
	"actor.user.uid":                "`user.uid`",
	"container.uid":                 "`container.id` (no container object on the host)",
	"container.name":                "`container.name`",
	"container.image.name":          "`container.image`",
	"container.image.tag":           "`container.image.tag`",
	"container.image.uid":           "`container.image.id`",
	"container.runtime":             "`container.type`",
	"unmapped.evt_rawtime":          "`evt.rawtime` (ns)",
	"unmapped.evt_dir":              "`evt.dir`",
	"unmapped.fd_num":               "`fd.num`",
	"unmapped.fd_type":              "`fd.typechar`",
	"unmapped.flags":                "`evt.arg.flags`",
	"unmapped.user_loginname":       "`user.loginname` (the login user)",
	"unmapped.proc_tty":             "`proc.tty`",
	"unmapped.container_privileged": "`container.privileged`",
	"unmapped.priority":             "Detection Finding: the rule's Falco priority",
	"unmapped.source":               "Detection Finding: the rule's source (`syscall`)",
	"unmapped.frame":                "`capture.frame`: the zstd frame of the capture that holds the event; -1 in `.scap` and `.scap.gz` files, which have no frames",
	"exit_code":                     "procexit's exit status",
	"file.path":                     "`fs.path.name`, else `fd.name`; rename: `fs.path.source`; link, symlink, mount: `fs.path.target`",
	"file_result.path":              "rename: `fs.path.target`; link, symlink: `fs.path.source`",
	"src_endpoint.ip":               "`fd.cip`: the client, on the connect and the accept side alike",
	"src_endpoint.port":             "`fd.cport`",
	"dst_endpoint.ip":               "`fd.sip`: the server; listen: the address listened on",
	"dst_endpoint.port":             "`fd.sport`",
	"connection_info.protocol_name": "`fd.l4proto`",
	"connection_info.protocol_num":  "6 for tcp, 17 for udp",
	"connection_info.direction_id":  "2 (Outbound) for connect, 1 (Inbound) for accept, else 0",
	"connection_info.direction":     "caption of direction_id",
	"finding_info.uid":              "metadata.uid",
	"finding_info.title":            "the rule's name",
	"finding_info.desc":             "not set",
	"finding_info.types":            "the rule's tags, sorted",
	"finding_info.analytic.name":    "the rule's name",
	"finding_info.analytic.type_id": "1 (Rule)",
	"finding_info.analytic.type":    "`Rule`",
	"is_alert":                      "true",
}

// Source says where the column at path (dotted) comes from; "" when the
// mapping does not say.
func Source(path string) string {
	if s, ok := columnSources[path]; ok {
		return s
	}
	for _, prefix := range []string{"actor.process.", "process."} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			return processSources[rest]
		}
	}
	for _, prefix := range []string{"file.", "file_result."} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			return fileSources[rest]
		}
	}
	return ""
}

// Column is one leaf column of a class's schema.
type Column struct {
	// Path is the dotted path (actor.process.pid).
	Path string
	// Type is the column's type as DuckDB and Trino users read it.
	Type string
	// Optional is set when the column may be null.
	Optional bool
}

// Columns returns the leaf columns of c, in schema order.
func (c *Class) Columns() []Column {
	var out []Column
	var walk func(prefix string, optional bool, n parquet.Node)
	walk = func(prefix string, optional bool, n parquet.Node) {
		for _, f := range n.Fields() {
			path := prefix + f.Name()
			opt := optional || f.Optional()
			if !f.Leaf() {
				if fs := f.Fields(); len(fs) == 1 && fs[0].Repeated() && fs[0].Name() == "list" {
					out = append(out, Column{Path: path, Type: "list<" + typeName(fs[0].Fields()[0]) + ">", Optional: opt})
					continue
				}
				walk(path+".", opt, f)
				continue
			}
			out = append(out, Column{Path: path, Type: typeName(f), Optional: opt})
		}
	}
	walk("", false, parquet.SchemaOf(c.Row))
	return out
}

// typeName is a leaf's type in SQL terms.
func typeName(n parquet.Node) string {
	t := n.Type()
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.StringType:
			return "string"
		case *format.TimestampType:
			return "timestamp(ms, UTC)"
		case *format.IntType:
			return fmt.Sprintf("int%d", v.BitWidth)
		}
	}
	return strings.ToLower(t.Kind().String())
}

// SchemaMarkdown renders the schema of every class with each column's
// source: the text of docs/EXPORT.md between its schema markers.
func SchemaMarkdown() string {
	var b strings.Builder
	for i := range Classes {
		c := &Classes[i]
		fmt.Fprintf(&b, "### %s (%d): `class=%s`\n\n", c.Name, c.UID, c.Partition)
		b.WriteString("| column | type | from |\n| --- | --- | --- |\n")
		for _, col := range c.Columns() {
			typ := col.Type
			if !col.Optional {
				typ += ", not null"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", col.Path, typ, Source(col.Path))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// MappingMarkdown renders the event mapping: the text of docs/EXPORT.md
// between its mapping markers.
func MappingMarkdown() string {
	var b strings.Builder
	b.WriteString("| evt.type | fd.typechar | class | activity_id | activity_name | notes |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, m := range EventMappings {
		fd := "any"
		if m.Fd != "" {
			fd = strings.Join(strings.Split(m.Fd, ""), ", ")
		}
		c := classOf(m.Activity.Class)
		fmt.Fprintf(&b, "| %s | %s | %s (%d) | %d | %s | %s |\n", strings.Join(m.Types, ", "), fd, c.Name, c.UID,
			m.Activity.ID, m.Activity.Name, m.Note)
	}
	return b.String()
}
