//go:build linux && amd64

package record

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/capture/container"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay/detect"
)

// privateContainerd is a containerd the test started, with its own root,
// state and socket below a temporary directory (no CRI plugin).
type privateContainerd struct {
	ctr      string // ctr's path
	sock     string
	state    string
	runcRoot string
}

// startContainerd starts a private containerd, stopped when the test ends,
// or skips without containerd, ctr or busybox-static.
func startContainerd(t *testing.T) *privateContainerd {
	t.Helper()
	needBPF(t)
	bin := testutil.NeedTool(t, "containerd")
	c := &privateContainerd{ctr: testutil.NeedTool(t, "ctr")}
	testutil.NeedTool(t, "containerd-shim-runc-v2")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testutil.SkipMissing(t, "busybox-static not installed (/bin/busybox)")
	}
	dir, err := os.MkdirTemp("", "retrace-ctrd-") // short: the socket path is limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	c.sock, c.state, c.runcRoot = filepath.Join(dir, "sock"), filepath.Join(dir, "state"), filepath.Join(dir, "runc")
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte("version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg, "--root", filepath.Join(dir, "root"), "--state", c.state, "--address", c.sock)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
		// Snapshots are unmounted with their containers (run --rm).
		_ = os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		if exec.Command(c.ctr, "-a", c.sock, "version").Run() == nil {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("containerd did not answer on %s within 15 s:\n%s", c.sock, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c
}

// run runs ctr against the private containerd in namespace k8s.io.
func (c *privateContainerd) run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(c.ctr, append([]string{"-a", c.sock, "-n", "k8s.io"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// runLine is the shell line that runs a container of image with ctr.
func (c *privateContainerd) runLine(image, id string, opts []string, argv ...string) string {
	words := append([]string{c.ctr, "-a", c.sock, "-n", "k8s.io", "run", "--rm", "--runc-root", c.runcRoot}, opts...)
	words = append(append(words, image, id), argv...)
	return strings.Join(words, " ")
}

func randomID(t *testing.T) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// TestRecordContainerd runs two containers on a real containerd (Debian's
// package, a private daemon) from an image imported with ctr, one with the
// annotations containerd's CRI plugin gives a Kubernetes pod's container,
// and checks that the recorder matches their cgroups (containerd's
// /<namespace>/<id> under cgroup v1) and writes their metadata from the
// OCI bundles, which k8s.* and container.* read offline.
func TestRecordContainerd(t *testing.T) {
	if _, err := compat.Known("REC-CRI-BUNDLE"); err != nil {
		t.Fatal(err)
	}
	c := startContainerd(t)
	const image = "localhost/retrace-busybox:ctr"
	archive, err := BuildBusyboxOCIArchive(image, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.run(t, "image", "import", archive)

	vol := t.TempDir()
	pod, priv := randomID(t), randomID(t)
	const uid = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
	annotations := []string{
		"--annotation", "io.kubernetes.cri.container-type=container",
		"--annotation", "io.kubernetes.cri.container-name=web",
		"--annotation", "io.kubernetes.cri.sandbox-name=web-7d9f",
		"--annotation", "io.kubernetes.cri.sandbox-namespace=shop",
		"--annotation", "io.kubernetes.cri.sandbox-uid=" + uid,
		"--annotation", "io.kubernetes.cri.image-name=" + image,
		"--mount", "type=bind,src=" + vol + ",dst=/data,options=rbind:ro",
	}
	// The containers outlive their command by a second: on a loaded
	// machine the recorder can lag behind a container that ctr run --rm
	// removes at once, and its bundle is gone when it is first seen (its
	// event then has the id and type only; see docs/FORMAT.md).
	script := c.runLine(image, pod, annotations, "/bin/sh", "-c", "'/bin/cat /etc/shadow; /bin/sleep 1'") + " >/dev/null; " +
		c.runLine(image, priv, []string{"--privileged"}, "/bin/sh", "-c", "'/bin/id; /bin/sleep 1'") + " >/dev/null"
	capt := recordRun(t, Options{ContainerdState: c.state}, "/bin/sh", "-c", script)

	// The cgroup path containerd gives (cgroup v1, cgroupfs) is
	// /k8s.io/<id>: the docker layout, as libsinsp matches it.
	cat := capt.execOf(t, "cat", "/etc/shadow")
	m, ok := container.MatchCgroups(cat.params["cgroups"])
	if !ok || m.FullID != pod {
		t.Fatalf("cat's cgroups %q: match %+v, %v; want container %s", cat.list("cgroups"), m, ok, pod)
	}
	if !strings.Contains(strings.Join(cat.list("cgroups"), " "), "/k8s.io/"+pod) {
		t.Errorf("cat's cgroups %q lack containerd's /k8s.io/%s", cat.list("cgroups"), pod)
	}
	evs := capt.containerEvents(t)
	want := map[string]container.Info{
		pod: {ID: pod[:12], FullID: pod, Type: container.TypeContainerd, Name: "web", Image: image,
			ImageRepo: "localhost/retrace-busybox", ImageTag: "ctr", PrivilegedKnown: true,
			Labels: map[string]string{"io.kubernetes.pod.name": "web-7d9f", "io.kubernetes.pod.namespace": "shop",
				"io.kubernetes.pod.uid": uid, "io.kubernetes.container.name": "web"},
			Mounts: []container.Mount{{Source: vol, Dest: "/data"}}},
		priv: {ID: priv[:12], FullID: priv, Type: container.TypeContainerd, Privileged: true, PrivilegedKnown: true},
	}
	for id, w := range want {
		got := evs[id]
		if len(got) == 0 {
			t.Errorf("no container event for %s", id[:12])
			continue
		}
		info := *got[len(got)-1].info
		if info.CreatedTime < time.Now().Add(-time.Hour).Unix() {
			t.Errorf("container %s: created_time %d, want the bundle's creation", id[:12], info.CreatedTime)
		}
		info.CreatedTime, info.MountsText = 0, ""
		if diff := cmp.Diff(w, info); diff != "" {
			t.Errorf("container event of %s (-want +got):\n%s", id[:12], diff)
		}
	}

	// Offline, the fields read the recorded metadata.
	d, err := detect.New(detect.Options{Filter: "evt.type = execve and evt.dir = < and proc.name in (cat, id) and container.id != host",
		Format: "*%proc.name %container.type %container.name %container.privileged %k8s.pod.name %k8s.ns.name %k8s.pod.uid %container.mount.dest[" + vol + "]"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	if _, err := d.Capture(context.Background(), capt.path, func(it detect.Item) error {
		lines = append(lines, string(it.Line))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantLines := []string{
		fmt.Sprintf("cat containerd web false web-7d9f shop %s /data", uid),
		"id containerd <NA> true <NA> <NA> <NA> <NA>",
	}
	if diff := cmp.Diff(wantLines, lines); diff != "" {
		t.Errorf("replayed fields (-want +got):\n%s", diff)
	}
}
