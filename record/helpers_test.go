//go:build linux && amd64

package record

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// event is a decoded, copied event of a test capture.
type event struct {
	ts     uint64
	tid    int64
	typ    scap.Type
	name   string // evt.type
	params map[string][]byte
}

func (e event) str(name string) string {
	return strings.TrimRight(string(e.params[name]), "\x00")
}

func (e event) list(name string) []string {
	v := strings.TrimRight(string(e.params[name]), "\x00")
	if v == "" {
		return nil
	}
	return strings.Split(v, "\x00")
}

func (e event) int(name string) int64 {
	b := e.params[name]
	switch len(b) {
	case 1:
		return int64(b[0])
	case 2:
		return int64(binary.LittleEndian.Uint16(b))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	case 8:
		return int64(binary.LittleEndian.Uint64(b))
	}
	return -1 << 62
}

func (e event) uint(name string) uint64 {
	b := e.params[name]
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 1 << 63
}

// captured is a recording read back.
type captured struct {
	path   string
	header *capture.Header
	events []event
	result *Result
}

// exits returns the exit (or enter-only) events of evt.type name.
func (c *captured) find(name string, dirExit bool, pred func(event) bool) []event {
	var out []event
	for _, e := range c.events {
		if e.name != name {
			continue
		}
		exit := e.typ%2 == 1 || e.typ == scap.ProcexitV1E || e.typ == scap.ContainerJsonV2E
		if exit != dirExit {
			continue
		}
		if pred == nil || pred(e) {
			out = append(out, e)
		}
	}
	return out
}

// probeOnce serializes recordings: the tests share the machine's 2 CPUs and
// each recording traces every process.
var probeMu sync.Mutex

// needBPF skips when the test cannot load BPF programs.
func needBPF(t *testing.T) {
	t.Helper()
	testutil.NeedRoot(t)
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		testutil.SkipMissing(t, "kernel has no BTF (/sys/kernel/btf/vmlinux)")
	}
}

// recordRun records while running argv and reads the capture back.
func recordRun(t *testing.T, opts Options, argv ...string) *captured {
	t.Helper()
	needBPF(t)
	probeMu.Lock()
	defer probeMu.Unlock()
	if opts.Output == "" {
		opts.Output = filepath.Join(t.TempDir(), "rec.scap.zst")
	}
	if opts.Snaplen == 0 {
		opts.Snaplen = 80
	}
	opts.Command = argv
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Record(ctx, opts)
	if err != nil {
		var ve *VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("verifier rejected %s:\n%s", ve.Program, ve.LogTail)
		}
		t.Fatalf("Record: %v", err)
	}
	if len(res.Files) != 1 || res.Files[0] != opts.Output {
		return &captured{path: opts.Output, result: res} // a rotated set
	}
	c := readCapture(t, opts.Output)
	c.result = res
	return c
}

func readCapture(t *testing.T, path string) *captured {
	t.Helper()
	r, err := capture.Open(path)
	if err != nil {
		t.Fatalf("open capture: %v", err)
	}
	defer r.Close()
	c := &captured{path: path, header: r.Header()}
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read capture %s: %v", path, err)
		}
		e := event{ts: ev.Ts(), tid: ev.Tid(), typ: ev.Type(), name: ev.Info().Name, params: map[string][]byte{}}
		for i := 0; i < ev.NumParams(); i++ {
			if p, ok := ev.ParamInfo(i); ok {
				e.params[p.Name] = append([]byte(nil), ev.Param(i)...)
			}
		}
		c.events = append(c.events, e)
	}
	c.header = r.Header() // the closing metadata is known at the end
	return c
}

// execOf returns the execve exit event of the process whose argv matches.
func (c *captured) execOf(t *testing.T, exe string, args ...string) event {
	t.Helper()
	want := strings.Join(args, "\x00")
	for _, e := range c.find("execve", true, nil) {
		if e.int("res") == 0 && filepath.Base(e.str("exe")) == exe && strings.Join(e.list("args"), "\x00") == want {
			return e
		}
	}
	t.Fatalf("no execve of %s %q in the capture (%d events)", exe, args, len(c.events))
	return event{}
}
