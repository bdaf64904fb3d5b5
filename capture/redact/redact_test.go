package redact

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

func decode(t *testing.T, raw []byte) *scap.Event {
	t.Helper()
	var e scap.Event
	if err := e.Decode(raw, false); err != nil {
		t.Fatal(err)
	}
	return &e
}

// param returns the named parameter of the raw event.
func param(t *testing.T, raw []byte, name string) string {
	t.Helper()
	p, ok := decode(t, raw).ParamByName(name)
	if !ok {
		t.Fatalf("no parameter %s", name)
	}
	return string(p)
}

func TestEvent(t *testing.T) {
	execve := func(args, env string) []byte {
		return scap.AppendEvent(nil, 10, 7, scap.SyscallExecveV19X, scap.EncInt64(0), []byte("/bin/curl"), []byte(args),
			scap.EncInt64(7), scap.EncInt64(7), scap.EncInt64(1), []byte("/"), scap.EncInt64(1024), scap.EncUint64(0), scap.EncUint64(0),
			scap.EncUint32(0), scap.EncUint32(0), scap.EncUint32(0), []byte("curl"), []byte("cpu=/\x00"), []byte(env))
	}
	read := scap.AppendEvent(nil, 11, 7, scap.SyscallReadX, scap.EncInt64(5), []byte("root:$6$secret"))
	tests := []struct {
		name    string
		opts    Options
		ev      []byte
		param   string
		want    string
		changed bool
		counts  [3]uint64 // env values, arg matches, buffer bytes
	}{
		{"env by glob", Options{Env: []string{"AWS_*"}}, execve("", "HOME=/root\x00AWS_SECRET_ACCESS_KEY=abc\x00AWS_REGION=eu\x00"),
			"env", "HOME=/root\x00AWS_SECRET_ACCESS_KEY=REDACTED\x00AWS_REGION=REDACTED\x00", true, [3]uint64{2, 0, 0}},
		{"env all", Options{Env: []string{"*"}}, execve("", "A=1\x00B=2"), "env", "A=REDACTED\x00B=REDACTED", true, [3]uint64{2, 0, 0}},
		{"env no match", Options{Env: []string{"TOKEN"}}, execve("", "A=1\x00"), "env", "A=1\x00", false, [3]uint64{}},
		{"arg pattern", Options{Args: []string{`--password=\S+`}}, execve("-u\x00bob\x00--password=hunter2\x00", ""),
			"args", "-u\x00bob\x00REDACTED\x00", true, [3]uint64{0, 1, 0}},
		{"arg pattern twice in one argument", Options{Args: []string{`AKIA[A-Z0-9]+`}}, execve("AKIA1 AKIA2\x00", ""),
			"args", "REDACTED REDACTED\x00", true, [3]uint64{0, 2, 0}},
		{"buffers", Options{Buffers: true}, read, "data", "", true, [3]uint64{0, 0, 14}},
		{"buffers untouched without the option", Options{Env: []string{"*"}}, read, "data", "root:$6$secret", false, [3]uint64{}},
		{"exe and comm kept", Options{Args: []string{"curl"}}, execve("x\x00", ""), "exe", "/bin/curl", false, [3]uint64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.Raw(tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if got := param(t, out, tc.param); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.param, got, tc.want)
			}
			if changed := string(out) != string(tc.ev); changed != tc.changed {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			m := r.Manifest()
			if got := [3]uint64{m.EnvValues, m.ArgMatches, m.BufferBytes}; got != tc.counts {
				t.Errorf("counts %v, want %v", got, tc.counts)
			}
			// The other parameters are unchanged.
			a, b := decode(t, tc.ev), decode(t, out)
			if a.NumParams() != b.NumParams() || a.Ts() != b.Ts() || a.Tid() != b.Tid() || a.Type() != b.Type() {
				t.Fatalf("event header changed")
			}
			for i := 0; i < a.NumParams(); i++ {
				if pi, _ := a.ParamInfo(i); pi.Name != tc.param && string(a.Param(i)) != string(b.Param(i)) {
					t.Errorf("parameter %s changed", pi.Name)
				}
			}
		})
	}
}

func TestHeader(t *testing.T) {
	r, err := New(Options{Env: []string{"*TOKEN*"}, Args: []string{"s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	h := &capture.Header{Processes: []capture.Process{{TID: 1, Env: []string{"GH_TOKEN=ghp_x", "PATH=/bin"}, Args: []string{"-p", "s3cr3t"}}}}
	r.Header(h)
	want := capture.Process{TID: 1, Env: []string{"GH_TOKEN=REDACTED", "PATH=/bin"}, Args: []string{"-p", "REDACTED"}}
	if d := cmp.Diff(want, h.Processes[0]); d != "" {
		t.Errorf("process (-want +got):\n%s", d)
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"nothing", Options{}},
		{"bad glob", Options{Env: []string{"[x"}}},
		{"bad regexp", Options{Args: []string{"("}}},
		{"empty match", Options{Args: []string{"x*"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.name == "nothing" && !errors.Is(err, ErrNothing) {
				t.Errorf("err = %v, want ErrNothing", err)
			}
		})
	}
}
