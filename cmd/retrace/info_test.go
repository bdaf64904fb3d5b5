package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/capture/inspect"
)

// runCaptureCLI runs retrace with args in-process.
func runCaptureCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return o.String(), e.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return exitUsage
	}
	return exitOK
}

func genCapture(t *testing.T, name string, events int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if _, err := capgen.WriteFile(path, capgen.Options{Events: events, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInfo(t *testing.T) {
	path := genCapture(t, "g.scap.zst", 3000)
	out, _, err := runCaptureCLI(t, "info", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"format:      scap.zst (retrace), scap 1.2", "host:        capgen (2 CPUs, 8.0 GiB)",
		"status:      complete", "recorder:    capgen, kernel 6.1.0-capgen", "drops:       0 events lost", "  read\n", "execve\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("info output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCaptureCLI(t, "info", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	var info inspect.Description
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	r, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var n int64
	types := map[string]int64{}
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		types[ev.TypeName()]++
		n++
	}
	if info.Events != n || !info.Complete || !info.Retrace || info.Frames < 1 || info.CompressionRatio < 2 {
		t.Errorf("json info %+v, want %d events, complete, retrace, frames, ratio > 2", info, n)
	}
	for k, v := range types {
		if info.EventTypes[k] != v {
			t.Errorf("event type %s: %d, want %d", k, info.EventTypes[k], v)
		}
	}
	wantC := []inspect.Container{{ID: capgen.ContainerID[:12], Name: "web", Image: "docker.io/library/nginx:1.25", Runtime: "docker", From: "metadata"}}
	if diff := cmp.Diff(wantC, info.Containers); diff != "" {
		t.Errorf("containers (-want +got):\n%s", diff)
	}
	if info.Processes["nginx"] == 0 || info.Processes["bash"] == 0 {
		t.Errorf("processes %v lack nginx or bash", info.Processes)
	}
}

func TestInfoTruncated(t *testing.T) {
	path := genCapture(t, "g.scap.zst", 20000)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.scap.zst")
	if err := os.WriteFile(cut, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCaptureCLI(t, "info", cut)
	if exitCode(err) != exitFailure {
		t.Fatalf("exit code %d (%v), want %d", exitCode(err), err, exitFailure)
	}
	if !strings.Contains(out, "status:      "+cut+": truncated at offset") {
		t.Errorf("status line missing:\n%s", out)
	}
	if _, _, err := runCaptureCLI(t, "info", filepath.Join(t.TempDir(), "missing.scap")); exitCode(err) != exitUsage {
		t.Errorf("missing file: exit code %d, want %d", exitCode(err), exitUsage)
	}
}

func TestConvert(t *testing.T) {
	src := genCapture(t, "g.scap", 3000)
	dir := t.TempDir()
	zst := filepath.Join(dir, "c.scap.zst")
	gz := filepath.Join(dir, "c.scap.gz")
	back := filepath.Join(dir, "c.scap")
	for _, args := range [][]string{{"convert", src, "-o", zst, "--frame-size", "16"}, {"convert", zst, "-o", gz}, {"convert", gz, "-o", back}} {
		if _, stderr, err := runCaptureCLI(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	a, _ := os.ReadFile(src)
	b, _ := os.ReadFile(back)
	if !bytes.Equal(a, b) {
		t.Errorf("scap → zst → gz → scap changed the bytes (%d vs %d)", len(a), len(b))
	}
	out, _, err := runCaptureCLI(t, "info", "--json", zst)
	if err != nil {
		t.Fatal(err)
	}
	var info inspect.Description
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.Frames < 5 || info.Format != "scap.zst" {
		t.Errorf("converted file: %d frames, format %s", info.Frames, info.Format)
	}
	if _, _, err := runCaptureCLI(t, "convert", src, "-o", src); exitCode(err) != exitUsage {
		t.Errorf("converting onto the input: exit code %d", exitCode(err))
	}
	// A truncated input converts what it holds and exits 1.
	raw, _ := os.ReadFile(zst)
	cut := filepath.Join(dir, "cut.scap.zst")
	os.WriteFile(cut, raw[:len(raw)/2], 0o644)
	_, stderr, err := runCaptureCLI(t, "convert", cut, "-o", filepath.Join(dir, "rec.scap"))
	if exitCode(err) != exitFailure || !strings.Contains(stderr, "events before it to") {
		t.Errorf("truncated input: exit %d, stderr %q", exitCode(err), stderr)
	}
	if _, err := capture.Open(filepath.Join(dir, "rec.scap")); err != nil {
		t.Errorf("recovered output does not open: %v", err)
	}
}
