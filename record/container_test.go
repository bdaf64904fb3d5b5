//go:build linux && amd64

package record

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// testImage is the local image the container tests import from Debian's
// busybox-static.
const testImage = "localhost/retrace-busybox:test"

// startContainer imports the test image when needed and starts a container
// running sleep; it is removed when the test ends.
func startContainer(t *testing.T) (name, id string) {
	t.Helper()
	podman := ensureImage(t)
	name = fmt.Sprintf("retrace-test-%d", os.Getpid())
	out, err := exec.Command(podman, "--runtime", "runc", "run", "-d", "--name", name,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", testImage, "/bin/sleep", "600").CombinedOutput()
	if err != nil {
		t.Fatalf("podman run: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command(podman, "rm", "-f", "-t", "0", name).Run() })
	return name, strings.TrimSpace(string(out))
}

// ensureImage skips without podman or busybox-static and imports the test
// image when it is missing; it returns podman's path.
func ensureImage(t *testing.T) string {
	t.Helper()
	needBPF(t)
	podman := testutil.NeedTool(t, "podman")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testutil.SkipMissing(t, "busybox-static not installed (/bin/busybox)")
	}
	if err := exec.Command(podman, "image", "exists", testImage).Run(); err != nil {
		if err := BuildBusyboxImage(testImage, t.TempDir()); err != nil {
			t.Fatalf("build test image: %v", err)
		}
	}
	return podman
}

func TestRecordContainerStartedDuringRecording(t *testing.T) {
	ensureImage(t)
	name := fmt.Sprintf("retrace-test-new-%d", os.Getpid())
	t.Cleanup(func() { exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	c := recordRun(t, Options{OnlyCommand: true}, "podman", "--runtime", "runc", "run", "--rm", "--name", name,
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", testImage, "/bin/cat", "/etc/shadow")
	cat := c.execOf(t, "cat", "/etc/shadow")
	m, ok := container.MatchCgroups(cat.params["cgroups"])
	if !ok {
		t.Fatalf("cat's cgroups %q name no container", cat.list("cgroups"))
	}
	evs := c.containerEvents(t)[m.FullID]
	checkContainerEvents(t, evs, name, cat.ts)
}

// containerEvents returns the container events of the capture by full id,
// decoded.
func (c *captured) containerEvents(t *testing.T) map[string][]containerEvent {
	t.Helper()
	out := map[string][]containerEvent{}
	for _, e := range c.find("container", true, nil) {
		info, err := container.ParseJSON(e.params["json"])
		if err != nil {
			t.Fatalf("container event %q: %v", e.params["json"], err)
		}
		out[info.FullID] = append(out[info.FullID], containerEvent{info, e.ts})
	}
	return out
}

// containerEvent is a decoded container event.
type containerEvent struct {
	info *container.Info
	ts   uint64
}

// checkContainerEvents checks the container events of a podman container
// of the test image named name whose first exec was at execTs: one event,
// or, when the runtime's answer came after the recorder stopped holding
// events back, an early one and a complete one; the first must name the
// container and its image and come before the exec.
func checkContainerEvents(t *testing.T, evs []containerEvent, name string, execTs uint64) {
	t.Helper()
	if len(evs) == 0 || len(evs) > 2 {
		t.Errorf("container %s: %d container events, want 1 or 2", name, len(evs))
		return
	}
	for _, e := range evs {
		want := container.Info{ID: e.info.FullID[:12], FullID: e.info.FullID, Type: container.TypePodman, Name: name,
			Image: testImage, ImageRepo: "localhost/retrace-busybox", ImageTag: "test"}
		got := *e.info
		got.ImageID, got.ImageDigest, got.CreatedTime, got.Privileged, got.PrivilegedKnown, got.Labels = "", "", 0, false, false, nil
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("container event of %s at %d (-want +got):\n%s", name, e.ts, diff)
		}
	}
	if evs[0].ts > execTs {
		t.Errorf("container event of %s at %d comes after its first exec at %d", name, evs[0].ts, execTs)
	}
}

func TestRecordFilterContainer(t *testing.T) {
	name, id := startContainer(t)
	c := recordRun(t, Options{FilterContainer: name}, "/bin/sh", "-c",
		"cat /etc/hostname > /dev/null; podman exec "+name+" cat /etc/shadow")
	c.execOf(t, "cat", "/etc/shadow")
	for _, e := range c.events {
		if e.name == "container" || e.name == "drop" {
			continue
		}
		if e.name == "execve" && strings.Join(e.list("args"), " ") == "/etc/hostname" {
			t.Errorf("host process (cat /etc/hostname) recorded despite --filter-container")
		}
		if cg, ok := e.params["cgroups"]; ok && !bytes.Contains(cg, []byte(id)) {
			t.Errorf("%s event of tid %d outside container %s", e.name, e.tid, id[:12])
		}
	}
}

// TestRecordFilterContainerUnknown checks that a --filter-container that
// names no running container warns, naming the containers and the
// closest name, instead of silently recording nothing.
func TestRecordFilterContainerUnknown(t *testing.T) {
	name, id := startContainer(t)
	var log bytes.Buffer
	recordRun(t, Options{FilterContainer: name + "x", OnlyCommand: true, Log: &log}, "/bin/true")
	for _, want := range []string{
		fmt.Sprintf("--filter-container %q: no running container has that name or id prefix (did you mean %q?); containers: ", name+"x", name),
		fmt.Sprintf("%s (%s)", name, id[:12]),
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	}
}

func TestRecordContainerShell(t *testing.T) {
	testutil.NeedTool(t, "script")
	name, id := startContainer(t)
	c := recordRun(t, Options{}, "script", "-qc", "podman exec -it "+name+" sh -c 'cat /etc/shadow; true'", "/dev/null")

	// The cat inside the container: busybox runs applets through
	// /proc/self/exe, so its comm is "exe"; argv is what counts.
	cat := c.execOf(t, "cat", "/etc/shadow")
	m, ok := container.MatchCgroups(cat.params["cgroups"])
	if !ok || m.FullID != id {
		t.Fatalf("cat's cgroups %q give container %+v, want %s", cat.list("cgroups"), m, id)
	}
	if cat.uint("tty") == 0 {
		t.Errorf("cat in podman exec -it: tty = 0, want the pty")
	}
	if n := len(c.find("openat", true, func(e event) bool { return e.tid == cat.tid && e.str("name") == "/etc/shadow" && e.int("fd") >= 0 })); n != 1 {
		t.Errorf("openat /etc/shadow in the container: %d events, want 1", n)
	}
	// The container's metadata: in the event stream and in the metadata.
	evs := c.find("container", true, func(e event) bool { return bytes.Contains(e.params["json"], []byte(id)) })
	if len(evs) != 1 {
		t.Fatalf("container events for %s: %d, want 1", id[:12], len(evs))
	}
	js := evs[0].str("json")
	for _, want := range []string{`"name":"` + name + `"`, `"image":"` + testImage + `"`, `"id":"` + id[:12] + `"`, `"type":11`} {
		if !strings.Contains(js, want) {
			t.Errorf("container JSON %s lacks %s", js, want)
		}
	}
	var meta bool
	for _, ci := range c.header.Metadata.Containers {
		if ci.ID == id && ci.Name == name && ci.Image == testImage && ci.Type.String() == "podman" {
			meta = true
		}
	}
	if !meta {
		t.Errorf("metadata containers %+v lack %s", c.header.Metadata.Containers, name)
	}

	crossCheckSysdig(t, c, id)
}

// crossCheckSysdig reads the capture with real sysdig 0.29.3 and compares
// the /etc/shadow open, the execve command lines and the container's
// threads' cgroups with what retrace's reader sees.
func crossCheckSysdig(t *testing.T, c *captured, id string) {
	t.Helper()
	sysdig := testutil.NeedTool(t, "sysdig")
	zstd := testutil.NeedTool(t, "zstd")
	plain := filepath.Join(t.TempDir(), "rec.scap")
	if out, err := exec.Command(zstd, "-q", "-d", c.path, "-o", plain).CombinedOutput(); err != nil {
		t.Fatalf("zstd -d: %v\n%s", err, out)
	}
	run := func(format, filter string) []string {
		out, err := exec.Command(sysdig, "-r", plain, "-p", format, filter).Output()
		if err != nil {
			t.Fatalf("sysdig -r %s %q: %v", plain, filter, err)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	if got := run("%proc.pid %fd.name", "evt.type=openat and evt.dir=< and fd.name=/etc/shadow"); len(got) != 1 || !strings.HasSuffix(got[0], " /etc/shadow") {
		t.Errorf("sysdig: opens of /etc/shadow = %q, want one", got)
	}
	// Command lines: every successful execve retrace reads, sysdig prints.
	lines := map[string]bool{}
	for _, l := range run("%proc.pid|%proc.exe|%proc.args", "evt.type=execve and evt.dir=< and evt.failed=false") {
		lines[l] = true
	}
	for _, e := range c.find("execve", true, func(e event) bool { return e.int("res") == 0 }) {
		want := fmt.Sprintf("%d|%s|%s", e.int("pid"), e.str("exe"), strings.Join(e.list("args"), " "))
		if !lines[want] {
			t.Errorf("sysdig lacks execve %q", want)
		}
	}
	// container.id: sysdig 0.29.3 does not know podman's cgroupfs layout.
	for _, l := range run("%container.id", "evt.type=openat and evt.dir=< and fd.name=/etc/shadow") {
		if l != id[:12] {
			if _, err := compat.Known("REC-PODMAN-CGROUPFS-029"); err != nil || l != "host" {
				t.Errorf("sysdig container.id of the /etc/shadow open = %q, want %s (%v)", l, id[:12], err)
			}
		}
	}
	// cgroups of the container's threads.
	cg := map[string]string{}
	for _, l := range run("%thread.tid|%thread.cgroups", "evt.type=execve and evt.dir=< and thread.cgroups contains "+id) {
		tid, groups, _ := strings.Cut(l, "|")
		cg[tid] = groups
	}
	if len(cg) == 0 {
		t.Fatalf("sysdig sees no execve in container %s", id[:12])
	}
	for _, e := range c.find("execve", true, func(e event) bool { return strings.Contains(e.str("cgroups"), id) }) {
		want := strings.Join(e.list("cgroups"), " ")
		if got := cg[fmt.Sprint(e.tid)]; got != want {
			t.Errorf("tid %d: sysdig thread.cgroups = %q, retrace %q", e.tid, got, want)
		}
	}
}

// TestRecordShortLivedContainers starts 20 short-lived containers (podman
// run --rm of /bin/true, gone within a second) at once during one
// recording: every one must have its name and image in the capture, in a
// container event that comes before the container's first exec, and in
// the capture's metadata.
func TestRecordShortLivedContainers(t *testing.T) {
	podman := ensureImage(t)
	const n = 20
	prefix := fmt.Sprintf("retrace-burst-%d-", os.Getpid())
	var script strings.Builder
	for i := range n {
		fmt.Fprintf(&script, "%s --runtime runc run --rm --name %s%d --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 %s /bin/true &\n",
			podman, prefix, i, testImage)
	}
	script.WriteString("wait\n")
	t.Cleanup(func() {
		for i := range n {
			exec.Command(podman, "rm", "-f", "-t", "0", fmt.Sprintf("%s%d", prefix, i)).Run()
		}
	})
	c := recordRun(t, Options{OnlyCommand: true}, "/bin/sh", "-c", script.String())

	firstExec := map[string]uint64{} // by full id
	for _, e := range c.find("execve", true, func(e event) bool { return e.int("res") == 0 }) {
		if m, ok := container.MatchCgroups(e.params["cgroups"]); ok {
			if ts, seen := firstExec[m.FullID]; !seen || e.ts < ts {
				firstExec[m.FullID] = e.ts
			}
		}
	}
	byName := map[string]string{} // name -> full id
	events := c.containerEvents(t)
	for id, evs := range events {
		for _, e := range evs {
			if strings.HasPrefix(e.info.Name, prefix) {
				byName[e.info.Name] = id
			}
		}
	}
	inMeta := map[string]bool{}
	for _, ci := range c.header.Metadata.Containers {
		if ci.Image == testImage {
			inMeta[ci.Name] = true
		}
	}
	for i := range n {
		name := fmt.Sprintf("%s%d", prefix, i)
		id, ok := byName[name]
		if !ok {
			t.Errorf("no container event names %s", name)
			continue
		}
		execTs, ok := firstExec[id]
		if !ok {
			t.Errorf("no exec recorded in container %s (%s)", name, id[:12])
			continue
		}
		checkContainerEvents(t, events[id], name, execTs)
		if !inMeta[name] {
			t.Errorf("the metadata lacks %s", name)
		}
	}
}
