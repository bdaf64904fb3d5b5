package container

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	model "github.com/retrace-dev/retrace/capture/container"
)

// Default state directories of the runtimes whose bundles [Runtimes] reads.
const (
	DefaultContainerdState = "/run/containerd"
	DefaultCRIORunRoot     = "/run/containers/storage"
	// DefaultPodmanGraphRoot is where rootful podman keeps its containers'
	// bundles.
	DefaultPodmanGraphRoot = "/var/lib/containers/storage"
)

// Runtimes says where the recorder finds the container runtimes of the
// host: the state directories holding containerd's and cri-o's OCI
// bundles. The zero value uses the defaults.
type Runtimes struct {
	// ContainerdState is containerd's state directory (its --state;
	// /run/k3s/containerd under k3s).
	ContainerdState string
	// CRIORunRoot is the run root of cri-o's container storage.
	CRIORunRoot string
	// PodmanGraphRoot is the graph root of podman's container storage.
	PodmanGraphRoot string
}

func (r Runtimes) containerdState() string {
	if r.ContainerdState == "" {
		return DefaultContainerdState
	}
	return r.ContainerdState
}

func (r Runtimes) crioRunRoot() string {
	if r.CRIORunRoot == "" {
		return DefaultCRIORunRoot
	}
	return r.CRIORunRoot
}

// PodmanBundle reads what a podman container's OCI bundle says (whether
// it is privileged, its bind mounts, its creation time) from podman's
// graph root: a file read that is quick enough for a container
// `podman run --rm` removes before podman inspect can answer. ok is false
// when there is no such bundle or it is not podman's.
func (r Runtimes) PodmanBundle(fullID string) (info *model.Info, ok bool) {
	if fullID == "" || strings.ContainsAny(fullID, "/*?[\\") {
		return nil, false
	}
	root := r.PodmanGraphRoot
	if root == "" {
		root = DefaultPodmanGraphRoot
	}
	b, err := os.ReadFile(filepath.Join(root, "overlay-containers", fullID, "userdata", "config.json"))
	if err != nil {
		return nil, false
	}
	var spec ociSpec
	if json.Unmarshal(b, &spec) != nil || spec.Annotations["io.container.manager"] != "libpod" {
		return nil, false
	}
	info = &model.Info{ID: model.ShortID(fullID), FullID: fullID, Type: model.TypePodman, PrivilegedKnown: true}
	switch spec.Annotations["io.podman.annotations.privileged"] {
	case "TRUE":
		info.Privileged = true
	case "FALSE":
	default:
		info.Privileged = privileged(&spec)
	}
	if t, err := time.Parse(time.RFC3339Nano, spec.Annotations[crioCreated]); err == nil {
		info.CreatedTime = t.Unix()
	}
	info.Mounts = r.bindMounts(&spec, root)
	info.Finish()
	return info, true
}

// BundleError is a container bundle that exists but cannot be read.
type BundleError struct {
	Path string
	Err  error
}

func (e *BundleError) Error() string { return fmt.Sprintf("read bundle %s: %v", e.Path, e.Err) }

func (e *BundleError) Unwrap() error { return e.Err }

// Annotations of containerd's CRI plugin and of cri-o on a container's
// OCI spec.
const (
	criContainerType   = "io.kubernetes.cri.container-type"
	criContainerName   = "io.kubernetes.cri.container-name"
	criSandboxName     = "io.kubernetes.cri.sandbox-name"
	criSandboxNS       = "io.kubernetes.cri.sandbox-namespace"
	criSandboxUID      = "io.kubernetes.cri.sandbox-uid"
	criImageName       = "io.kubernetes.cri.image-name"
	criSandboxImage    = "io.kubernetes.cri.podsandbox.image-name"
	crioContainerType  = "io.kubernetes.cri-o.ContainerType"
	crioKubeName       = "io.kubernetes.cri-o.KubeName"
	crioMetadata       = "io.kubernetes.cri-o.Metadata"
	crioLabels         = "io.kubernetes.cri-o.Labels"
	crioImageName      = "io.kubernetes.cri-o.ImageName"
	crioImageRef       = "io.kubernetes.cri-o.ImageRef"
	crioCreated        = "io.kubernetes.cri-o.Created"
	typeSandbox        = "sandbox"
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// ReadBundle reads the OCI bundle (config.json) of the container with
// this full id from containerd's state directory (any namespace but
// skipNamespace, "" for none) or cri-o's run root, and returns what it
// says; ok is false when neither holds the container (a podman bundle in
// cri-o's layout does not count). The result is typed containerd or
// cri-o. An error means the bundle exists but is not a readable spec.
func (r Runtimes) ReadBundle(fullID, skipNamespace string) (info *model.Info, ok bool, err error) {
	if fullID == "" || strings.ContainsAny(fullID, "/*?[\\") {
		return nil, false, nil
	}
	state := r.containerdState()
	for _, pattern := range []string{
		filepath.Join(state, "io.containerd.runtime.v2.task", "*", fullID, "config.json"),
		filepath.Join(state, "io.containerd.runtime.v1.linux", "*", fullID, "config.json"),
	} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			if ns := filepath.Base(filepath.Dir(filepath.Dir(p))); ns == skipNamespace {
				continue
			}
			info, err := r.readSpec(p, model.TypeContainerd, fullID)
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			return info, true, err
		}
	}
	p := filepath.Join(r.crioRunRoot(), "overlay-containers", fullID, "userdata", "config.json")
	info, err = r.readSpec(p, model.TypeCRIO, fullID)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return info, true, err
	case info == nil:
		return nil, false, nil // podman's bundle
	}
	return info, true, nil
}

// ociSpec is the part of an OCI runtime spec the recorder reads.
type ociSpec struct {
	Annotations map[string]string `json:"annotations"`
	Mounts      []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Process *struct {
		Capabilities *struct {
			Bounding []string `json:"bounding"`
		} `json:"capabilities"`
	} `json:"process"`
	Linux *struct {
		MaskedPaths []string `json:"maskedPaths"`
	} `json:"linux"`
}

// readSpec reads one config.json as a container of runtime typ (see
// [Runtimes.parseSpec]).
func (r Runtimes) readSpec(path string, typ model.Type, fullID string) (*model.Info, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, &BundleError{Path: path, Err: err}
	}
	var created time.Time
	if st, err := os.Stat(path); err == nil {
		created = st.ModTime()
	}
	info, err := r.parseSpec(b, typ, fullID, created)
	if err != nil {
		return nil, &BundleError{Path: path, Err: err}
	}
	return info, nil
}

// parseSpec reads an OCI spec as a container of runtime typ; created is
// when containerd wrote it. For cri-o it returns a nil info (and no error)
// when the spec lacks cri-o's annotations.
func (r Runtimes) parseSpec(b []byte, typ model.Type, fullID string, created time.Time) (*model.Info, error) {
	var spec ociSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("parse OCI spec: %w", err)
	}
	a := spec.Annotations
	if typ == model.TypeCRIO && a[crioContainerType] == "" {
		return nil, nil
	}
	info := &model.Info{ID: model.ShortID(fullID), FullID: fullID, Type: typ}
	if typ == model.TypeContainerd {
		fromContainerd(info, a)
		if !created.IsZero() {
			info.CreatedTime = created.Unix()
		}
	} else {
		fromCRIO(info, a)
	}
	ref := model.ParseImage(info.Image)
	info.ImageRepo, info.ImageTag, info.ImageDigest = ref.Repository, ref.Tag, ref.Digest
	info.Privileged, info.PrivilegedKnown = privileged(&spec), true
	info.Mounts = r.bindMounts(&spec)
	info.Finish()
	return info, nil
}

// fromContainerd fills info from the annotations of containerd's CRI
// plugin, rebuilding the labels kubelet gives the container.
func fromContainerd(info *model.Info, a map[string]string) {
	info.IsPodSandbox = a[criContainerType] == typeSandbox
	labels := map[string]string{}
	set := func(label, annotation string) {
		if v := a[annotation]; v != "" {
			labels[label] = v
		}
	}
	set(labelPodName, criSandboxName)
	set(labelPodNamespace, criSandboxNS)
	set(labelPodUID, criSandboxUID)
	if info.IsPodSandbox {
		info.Name, info.Image = a[criSandboxName], a[criSandboxImage]
	} else {
		info.Name, info.Image = a[criContainerName], a[criImageName]
		set(labelContainerName, criContainerName)
	}
	if len(labels) > 0 {
		info.Labels = labels
	}
}

// fromCRIO fills info from cri-o's annotations.
func fromCRIO(info *model.Info, a map[string]string) {
	info.IsPodSandbox = a[crioContainerType] == typeSandbox
	var labels map[string]string
	if json.Unmarshal([]byte(a[crioLabels]), &labels) == nil && len(labels) > 0 {
		info.Labels = labels
	}
	if info.IsPodSandbox {
		info.Name = a[crioKubeName]
	} else if info.Name = labels[labelContainerName]; info.Name == "" {
		var md struct {
			Name string `json:"name"`
		}
		if json.Unmarshal([]byte(a[crioMetadata]), &md) == nil {
			info.Name = md.Name
		}
	}
	info.Image = a[crioImageName]
	info.ImageID = strings.TrimPrefix(a[crioImageRef], "sha256:")
	if t, err := time.Parse(time.RFC3339Nano, a[crioCreated]); err == nil {
		info.CreatedTime = t.Unix()
	}
}

// privileged reports whether a spec is a privileged container's: both
// runtimes grant CAP_SYS_ADMIN and mask no path for one, and never both
// otherwise.
func privileged(spec *ociSpec) bool {
	if spec.Process == nil || spec.Process.Capabilities == nil || !slices.Contains(spec.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") {
		return false
	}
	return spec.Linux == nil || len(spec.Linux.MaskedPaths) == 0
}

// propagations are the mount options that set a mount's propagation.
var propagations = []string{"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"}

// bindMounts returns the spec's bind mounts, leaving out those the runtime
// makes from its own per-container directories (hosts, hostname,
// resolv.conf, shm); graphRoots are further container-storage roots whose
// overlay-containers directory is the runtime's.
func (r Runtimes) bindMounts(spec *ociSpec, graphRoots ...string) []model.Mount {
	var out []model.Mount
	for _, m := range spec.Mounts {
		if m.Type != "bind" && !slices.Contains(m.Options, "bind") && !slices.Contains(m.Options, "rbind") {
			continue
		}
		if r.runtimeOwn(m.Source, graphRoots) {
			continue
		}
		mt := model.Mount{Source: m.Source, Dest: m.Destination, RW: !slices.Contains(m.Options, "ro")}
		for _, o := range m.Options {
			if slices.Contains(propagations, o) {
				mt.Propagation = o
			}
		}
		out = append(out, mt)
	}
	return out
}

// runtimeOwn reports whether a bind mount's source lies in a runtime's
// per-container files: below an io.containerd.* directory of containerd's
// state or root directory, or below overlay-containers of a container
// storage root (cri-o, podman). Other files there, such as containerd's
// socket bound into a container, are the user's mounts.
func (r Runtimes) runtimeOwn(src string, graphRoots []string) bool {
	for _, root := range []string{r.containerdState(), DefaultContainerdState, "/var/lib/containerd"} {
		if rel, ok := below(src, root); ok && strings.HasPrefix(rel, "io.containerd.") && strings.Contains(rel, "/") {
			return true
		}
	}
	for _, root := range append([]string{r.crioRunRoot(), "/run/containers/storage", DefaultPodmanGraphRoot}, graphRoots...) {
		if under(src, filepath.Join(root, "overlay-containers")) {
			return true
		}
	}
	return false
}

// below returns path relative to dir when path is below dir.
func below(path, dir string) (string, bool) {
	dir, path = filepath.Clean(dir), filepath.Clean(path)
	rel, ok := strings.CutPrefix(path, dir+"/")
	return rel, ok
}

// under reports whether path is dir or below it.
func under(path, dir string) bool {
	dir = filepath.Clean(dir)
	path = filepath.Clean(path)
	return path == dir || strings.HasPrefix(path, dir+"/")
}
