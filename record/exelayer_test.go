//go:build linux && amd64

package record

import (
	"os/exec"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
)

// TestSnapshotContainerExeLayer checks the process snapshot's exe flags for
// a real podman container: its sleep runs the image's busybox (lower
// layer), and a copy of busybox dropped into the container (as
// /dropped/sleep) and run there lives in the upper layer.
func TestSnapshotContainerExeLayer(t *testing.T) {
	name, _ := startContainer(t)
	podman := ensureImage(t)
	if out, err := exec.Command(podman, "exec", name, "/bin/sh", "-c", "mkdir /dropped && cp /bin/busybox /dropped/sleep").CombinedOutput(); err != nil {
		t.Fatalf("podman exec cp: %v\n%s", err, out)
	}
	if out, err := exec.Command(podman, "exec", "-d", name, "/dropped/sleep", "600").CombinedOutput(); err != nil {
		t.Fatalf("podman exec -d: %v\n%s", err, out)
	}
	time.Sleep(200 * time.Millisecond)
	c := recordRun(t, Options{}, "/bin/true")
	var image, dropped *capture.Process
	for i := range c.header.Processes {
		p := &c.header.Processes[i]
		if p.TID != p.PID || len(p.Args) == 0 || p.Args[len(p.Args)-1] != "600" {
			continue
		}
		switch p.ExePath {
		case "/bin/busybox":
			image = p
		case "/dropped/sleep":
			dropped = p
		}
	}
	if image == nil || dropped == nil {
		t.Fatalf("the container's sleep processes are missing from the snapshot (image %v, dropped %v)", image != nil, dropped != nil)
	}
	if !image.ExeLowerLayer || image.ExeUpperLayer {
		t.Errorf("image's busybox %s: upper %v lower %v, want the lower layer", image.ExePath, image.ExeUpperLayer, image.ExeLowerLayer)
	}
	if !dropped.ExeUpperLayer || dropped.ExeLowerLayer {
		t.Errorf("dropped binary %s: upper %v lower %v, want the upper layer", dropped.ExePath, dropped.ExeUpperLayer, dropped.ExeLowerLayer)
	}
	if !dropped.ExeWritable {
		t.Errorf("dropped binary %s run by root: not writable", dropped.ExePath)
	}
}
