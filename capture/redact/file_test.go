package redact

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// finalMetadata returns the closing metadata of the .scap.zst capture at
// path.
func finalMetadata(t *testing.T, path string) *capture.Metadata {
	t.Helper()
	s, err := capture.ReadSummary(path)
	if err != nil || s.Metadata == nil {
		t.Fatalf("%s: no closing metadata: %v", path, err)
	}
	return s.Metadata
}

// TestFileKeepsMetadata redacts a signed capture whose recorder metadata
// is written only at its end (a converted one): the copy keeps it, with
// the host name pseudonymised, and does not claim the original's signing
// key.
func TestFileKeepsMetadata(t *testing.T) {
	key, err := minisig.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "vm.signed.scap.zst") // named after its host
	trace := filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "shadow-read-host.scap.zst")
	if _, err := capture.ConvertFile(trace, orig, capture.WriterOptions{SignKey: key}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.scap.zst")
	m, err := File(orig, out, FileOptions{Options: Options{Pseudonymize: Kinds{Hosts: true}}})
	if err != nil {
		t.Fatal(err)
	}
	want := finalMetadata(t, orig)
	got := finalMetadata(t, out)
	if want.Hostname == "" || !strings.HasPrefix(got.Hostname, "h-") || len(got.CommandLine) != len(want.CommandLine) ||
		got.KernelRelease != want.KernelRelease || !got.StopTime.Equal(want.StopTime) {
		t.Errorf("copy's metadata %+v\noriginal's %+v", got, want)
	}
	if got.SigningKey != "" || want.SigningKey == "" {
		t.Errorf("signing key of the copy %q, of the original %q", got.SigningKey, want.SigningKey)
	}
	if !strings.HasPrefix(m.Source, "h-") || !strings.HasSuffix(m.Source, ".signed.scap.zst") {
		t.Errorf("manifest names the source %q", m.Source)
	}
	if m.SourceKey != key.ID.String() || m.PseudonymKey != "random" || m.Pseudonyms.Hosts != 1 {
		t.Errorf("manifest %+v", m)
	}
}
