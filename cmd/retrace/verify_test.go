package main

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestKeygenVerify makes a key with retrace keygen, writes a signed
// capture with it, and checks retrace verify's verdicts and exit codes on
// it, on a copy with a frame removed and on a cut copy; minisign -V takes
// the public key keygen wrote.
func TestKeygenVerify(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "k")
	out, _, err := runRetrace(t, "keygen", prefix)
	if err != nil || !strings.HasPrefix(string(out), "key ") {
		t.Fatalf("keygen: %v %s", err, out)
	}
	if _, _, err := runRetrace(t, "keygen", prefix); exitCode(err) != exitUsage {
		t.Errorf("keygen over existing files: %v, want exit %d", err, exitUsage)
	}
	if fi, err := os.Stat(prefix + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret key file: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(prefix + ".key")
	key, err := minisig.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.scap.zst")
	lines := filepath.Join(dir, "offhost.jsonl")
	lf, _ := os.Create(lines)
	w, err := capture.Create(path, capture.WriterOptions{FrameSize: 1200, SyncInterval: -1, SignKey: key, CheckpointInterval: time.Nanosecond, Checkpoints: lf})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		ev := scap.AppendEvent(nil, uint64(1_700_000_000_000_000_000+i), 7, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(int64(i)))
		if err := w.WriteEvent(0, 0, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	data, _ := os.ReadFile(path)
	cps, err := capture.ReadCheckpoints(path)
	if err != nil || len(cps) < 4 {
		t.Fatalf("%d checkpoints: %v", len(cps), err)
	}
	// Remove the event frame before checkpoint 2 (its entries' last frame).
	e := cps[2].Entries[len(cps[2].Entries)-1]
	removed := append(append([]byte(nil), data[:e.Offset]...), data[e.Offset+e.Length:]...)
	cut := data[:cps[2].Offset+int64(binary.LittleEndian.Uint32(data[cps[2].Offset+4:]))+8]
	pub := []string{"--pubkey", prefix + ".pub"}
	tests := []struct {
		name string
		data []byte
		args []string
		code int
		want string
	}{
		{"intact", data, pub, exitOK, ": intact\n"},
		{"no key", data, nil, exitUnsigned, "named by the capture itself: pass --pubkey to trust it"},
		{"frame removed", removed, pub, exitFailure, "removed: frame " + strconv.Itoa(int(e.Frame)) + " at offset " + strconv.Itoa(int(e.Offset))},
		{"cut", cut, pub, exitTruncated, "ends after checkpoint 2"},
		{"cut, checkpoints left the host", cut, append(pub, "--checkpoints", lines), exitTruncated, "the file was cut after checkpoint 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "t.scap.zst")
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, err := runRetrace(t, append([]string{"verify", p}, tc.args...)...)
			if c := exitCode(err); c != tc.code {
				t.Errorf("exit %d (%v), want %d\n%s", c, err, tc.code, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output does not say %q:\n%s", tc.want, out)
			}
		})
	}
	t.Run("info shows the chain of custody", func(t *testing.T) {
		out, _, err := runRetrace(t, "info", path)
		want := "custody:     recorder <NA> on <NA>, key " + key.ID.String() + ", " + strconv.Itoa(len(cps)) + " checkpoints ("
		if err != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "): chain intact, signatures valid for key "+key.ID.String()) {
			t.Errorf("info: %v\n%s\nwant a line starting %q", err, out, want)
		}
	})
	t.Run("minisign reads the public key", func(t *testing.T) {
		tool := testutil.NeedTool(t, "minisign")
		st := filepath.Join(dir, "statement")
		os.WriteFile(st, cps[0].Statement, 0o644)
		os.WriteFile(st+".minisig", cps[0].Signature, 0o644)
		if out, err := exec.Command(tool, "-V", "-p", prefix+".pub", "-m", st).CombinedOutput(); err != nil {
			t.Errorf("minisign -V: %v\n%s", err, out)
		}
	})
}
