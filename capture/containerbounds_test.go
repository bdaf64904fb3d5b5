package capture_test

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/internal/hostile"
)

// TestContainerMetadataBounds reads generated captures whose container
// metadata passes the per-frame and per-capture bounds: the frames over
// them are not decoded, and the reader counts them with the first offset.
func TestContainerMetadataBounds(t *testing.T) {
	tests := []struct {
		name    string
		n, size int
		// leftOut is the number of frames left out; containers the
		// number the header's metadata holds.
		leftOut, containers int
	}{
		{"under the bounds", 3, 1000, 0, 3},
		// The closing metadata (1 MiB) still carries the container.
		{"one frame over its bound", 1, capture.MaxContainerFrame + 1000, 1, 1},
		// 36 frames of 900 KiB fit in 32 MiB; the 4 others, and the closing
		// metadata (36 MB of containers), are not decoded.
		{"frames over the capture's bound", 40, 900 << 10, 5, 36},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.scap.zst")
			if tc.n*tc.size > capture.MaxContainerMetadata && testing.Short() {
				t.Skip("writes and reads 36 MB of container metadata (7 s)")
			}
			if err := hostile.ContainerFlood(path, tc.n, tc.size); err != nil {
				t.Fatal(err)
			}
			r, err := capture.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for {
				if _, err := r.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			st := r.Stats()
			if st.ContainerFramesLeftOut != tc.leftOut {
				t.Errorf("%d frames left out, want %d", st.ContainerFramesLeftOut, tc.leftOut)
			}
			notes := st.LeftOut()
			if tc.leftOut == 0 {
				if len(notes) != 0 || st.ContainerFramesLeftOutAt != 0 {
					t.Errorf("notes %q at %d, want none", notes, st.ContainerFramesLeftOutAt)
				}
			} else if len(notes) != 1 || st.ContainerFramesLeftOutAt <= 0 ||
				!strings.Contains(notes[0], "container metadata frames not read: each is bounded to 1048576 bytes and all of a capture's to 33554432") {
				t.Errorf("notes %q at %d", notes, st.ContainerFramesLeftOutAt)
			}
			got := 0
			if md := r.Header().Metadata; md != nil {
				got = len(md.Containers)
			}
			if got != tc.containers {
				t.Errorf("metadata holds %d containers, want %d", got, tc.containers)
			}
		})
	}
}
