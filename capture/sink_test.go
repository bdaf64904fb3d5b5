package capture_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
)

// TestCheckpointSinks writes a capture whose checkpoints go to a file sink
// and to an HTTP sink, and checks that both received every checkpoint of
// the file, in order.
func TestCheckpointSinks(t *testing.T) {
	var mu sync.Mutex
	var posted []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		posted = append(posted, b...)
		mu.Unlock()
	}))
	defer srv.Close()
	dir := t.TempDir()
	for _, target := range []string{filepath.Join(dir, "lines.jsonl"), srv.URL} {
		t.Run(filepath.Base(target), func(t *testing.T) {
			sink, err := capture.OpenCheckpointSink(target)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "c.scap.zst")
			w, err := capture.Create(path, capture.WriterOptions{FrameSize: 1200, SyncInterval: -1, CheckpointInterval: time.Nanosecond, Checkpoints: sink})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				ev := scap.AppendEvent(nil, resyncBase+uint64(i), 7, scap.SyscallCloseX, scap.EncInt64(0), scap.EncInt64(int64(i)))
				if err := w.WriteEvent(0, 0, ev); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := sink.Close(); err != nil {
				t.Fatal(err)
			}
			var data []byte
			if target == srv.URL {
				mu.Lock()
				data = posted
				mu.Unlock()
			} else {
				data, _ = os.ReadFile(target)
			}
			lines, err := capture.ParseCheckpointLines(target, data)
			if err != nil {
				t.Fatal(err)
			}
			cps, err := capture.ReadCheckpoints(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != len(cps) || len(cps) < 3 || !lines[len(lines)-1].Final {
				t.Fatalf("%d lines, %d checkpoints in the file", len(lines), len(cps))
			}
			for i, l := range lines {
				if l.Number != uint32(i) || l.Statement != string(cps[i].Statement) {
					t.Errorf("line %d: checkpoint %d, statement differs from the file's", i, l.Number)
				}
			}
		})
	}
}
