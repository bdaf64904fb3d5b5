package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	model "github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		wantID string
		want   Sighting
		ok     bool
	}{
		{"podman 4 create", `{"ID":"` + hexID + `","Image":"localhost/retrace-busybox:test","Name":"evtest","Status":"create","Time":"2026-12-04T18:30:06.278566792Z","Type":"container","Attributes":{}}`,
			hexID, Sighting{Name: "evtest", Image: "localhost/retrace-busybox:test"}, true},
		{"labels", `{"ID":"` + hexID + `","Image":"localhost/retrace-busybox:test","Name":"pod","Status":"init","Type":"container","Attributes":{"io.kubernetes.pod.name":"web-1","app":"web"}}`,
			hexID, Sighting{Name: "pod", Image: "localhost/retrace-busybox:test", Labels: map[string]string{"io.kubernetes.pod.name": "web-1", "app": "web"}}, true},
		{"remove", `{"ID":"` + hexID + `","Image":"nginx@sha256:1","Name":"x","Status":"remove","Type":"container"}`,
			hexID, Sighting{Name: "x", Image: "nginx@sha256:1"}, true},
		{"pod event", `{"ID":"abc","Name":"p","Status":"create","Type":"pod"}`, "", Sighting{}, false},
		{"no id", `{"Name":"x","Type":"container"}`, "", Sighting{}, false},
		{"nothing to say", `{"ID":"abc","Type":"container"}`, "", Sighting{}, false},
		{"not JSON", `Error: something`, "", Sighting{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, s, ok := parseEvent([]byte(tc.line))
			if ok != tc.ok || id != tc.wantID {
				t.Fatalf("parseEvent = %q, %v; want %q, %v", id, ok, tc.wantID, tc.ok)
			}
			if diff := cmp.Diff(tc.want, s); diff != "" {
				t.Errorf("sighting (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWatchPodman creates and removes a container with the real podman
// and checks that the watcher names it, also after its removal.
func TestWatchPodman(t *testing.T) {
	testutil.NeedRoot(t)
	podman := testutil.NeedTool(t, "podman")
	// An image needs no content to create containers from.
	const image = "localhost/retrace-empty:test"
	if exec.Command(podman, "image", "exists", image).Run() != nil {
		dir := t.TempDir()
		tarball := filepath.Join(dir, "empty.tar")
		if out, err := exec.Command("tar", "-C", dir, "-cf", tarball, "--files-from", "/dev/null").CombinedOutput(); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		if out, err := exec.Command(podman, "import", tarball, image).CombinedOutput(); err != nil {
			t.Fatalf("podman import: %v\n%s", err, out)
		}
	}
	w, err := WatchPodman(time.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	name := fmt.Sprintf("retrace-watch-%d", os.Getpid())
	out, err := exec.Command(podman, "create", "--name", name, image, "/nothing").Output()
	if err != nil {
		t.Fatalf("podman create: %v", err)
	}
	id := strings.TrimSpace(string(out))
	if out, err := exec.Command(podman, "rm", id).CombinedOutput(); err != nil {
		t.Fatalf("podman rm: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, ok := w.Wait(ctx, id)
	if !ok {
		t.Fatalf("the watcher did not see container %s (stream error: %v)", id, w.Err())
	}
	if diff := cmp.Diff(Sighting{Name: name, Image: image}, s); diff != "" {
		t.Errorf("sighting (-want +got):\n%s", diff)
	}
	if _, err := Inspect(t.Context(), model.Match{ID: id[:12], FullID: id, Type: model.TypePodman}); err == nil {
		t.Error("podman inspect still knows the removed container")
	}
	if err := w.Err(); err != nil {
		t.Errorf("stream ended: %v", err)
	}
}
