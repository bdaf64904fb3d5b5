//go:build linux && amd64

package record

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/scap"
	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestRecordDrops forces real ring-buffer drops (a 64 KiB ring whose reader
// starts late, and a burst of recorded read/write syscalls) and checks that
// none is silent: the metadata counts them per CPU, `retrace info` shows
// them, drop markers sit in the event stream where the events were lost,
// and per CPU the markers' ratios add up to the drop counter.
func TestRecordDrops(t *testing.T) {
	needBPF(t)
	probeMu.Lock()
	defer probeMu.Unlock()
	out := filepath.Join(t.TempDir(), "drops.scap.zst")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := Record(ctx, Options{
		Output:      out,
		Snaplen:     80,
		RingBytes:   64 << 10,
		readerStall: 50 * time.Millisecond,
		// dd copies byte by byte: two recorded syscalls per byte.
		Command: []string{"/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=1 count=100000 2>/dev/null"},
	})
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if res.Drops == 0 {
		t.Fatalf("no drops with a 64 KiB ring and a stalled reader (%d events): the test cannot check drop accounting", res.Events)
	}
	if res.MaxReaderLag < 40*time.Millisecond {
		t.Errorf("max reader lag %v; the reader stalled 50 ms", res.MaxReaderLag)
	}
	if res.Submitted != res.Delivered {
		t.Errorf("the BPF side wrote %d events, the reader took %d: events vanished between ring and reader", res.Submitted, res.Delivered)
	}

	r, err := capture.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type marker struct {
		ts    uint64
		tid   int64
		ratio uint32
	}
	var (
		markers []marker
		// The burst: per thread, its count of read/write events and the
		// time range they span.
		rw        = map[int64]int{}
		rwFirst   = map[int64]uint64{}
		rwLast    = map[int64]uint64{}
		pendingE  = map[uint16]uint32{}
		ratioSum  = map[uint16]uint64{}
		lastTS    uint64
		unordered int
	)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read capture: %v", err)
		}
		if ev.Ts() < lastTS {
			unordered++
		}
		lastTS = ev.Ts()
		cpu := r.CPU()
		switch ev.Type() {
		case scap.DropE, scap.DropX:
			ratio := binary.LittleEndian.Uint32(ev.Param(0))
			if ev.Type() == scap.DropE {
				pendingE[cpu] = ratio
				continue
			}
			if pendingE[cpu] != ratio {
				t.Errorf("drop exit on CPU %d with ratio %d follows a drop enter with ratio %d", cpu, ratio, pendingE[cpu])
			}
			delete(pendingE, cpu)
			ratioSum[cpu] += uint64(ratio)
			markers = append(markers, marker{ts: ev.Ts(), tid: ev.Tid(), ratio: ratio})
		default:
			if n := ev.Info().Name; n == "read" || n == "write" {
				tid := ev.Tid()
				if rw[tid] == 0 {
					rwFirst[tid] = ev.Ts()
				}
				rw[tid]++
				rwLast[tid] = ev.Ts()
			}
		}
	}
	// Under heavy load an event can reach the reader after the reorder
	// window closed; the recorder writes it late and counts it.
	if unordered > int(res.LateEvents) {
		t.Errorf("%d events out of timestamp order, %d counted late by the recorder", unordered, res.LateEvents)
	}
	if len(pendingE) > 0 {
		t.Errorf("drop enter events without their exit: %v", pendingE)
	}

	md := r.Header().Metadata
	if md == nil || md.Drops == nil {
		t.Fatal("capture metadata has no drop counters")
	}
	if md.Drops.Total != res.Drops || md.Drops.ByReason["ringbuf_full"] != res.Drops {
		t.Errorf("metadata drops total %d, ringbuf_full %d; the recorder counted %d", md.Drops.Total, md.Drops.ByReason["ringbuf_full"], res.Drops)
	}
	if got := time.Duration(md.Drops.MaxReaderLagNs); got != res.MaxReaderLag {
		t.Errorf("metadata reader lag %v; the recorder measured %v", got, res.MaxReaderLag)
	}
	var perCPU uint64
	for cpu, n := range md.Drops.PerCPU {
		perCPU += n
		if ratioSum[uint16(cpu)] != n {
			t.Errorf("CPU %d: %d drops counted, drop markers in the stream announce %d", cpu, n, ratioSum[uint16(cpu)])
		}
	}
	if perCPU != res.Drops {
		t.Errorf("per-CPU drops add up to %d, total is %d", perCPU, res.Drops)
	}

	// The gap shows where it happened: a marker the kernel wrote in the
	// middle of dd's burst (the thread with the most reads and writes), on
	// dd's thread.
	ddTid := int64(-1)
	for tid, n := range rw {
		if ddTid < 0 || n > rw[ddTid] {
			ddTid = tid
		}
	}
	inBurst := false
	for _, m := range markers {
		if m.tid == ddTid && m.ts > rwFirst[ddTid] && m.ts < rwLast[ddTid] {
			inBurst = true
		}
	}
	if !inBurst {
		t.Errorf("no drop marker on dd's thread %d within its burst [%d, %d] (%d reads/writes); markers: %+v",
			ddTid, rwFirst[ddTid], rwLast[ddTid], rw[ddTid], markers)
	}

	checkInfoShowsDrops(t, out, res.Drops)
}

// checkInfoShowsDrops runs `retrace info` on the capture and checks that
// its text and JSON report the drops.
func checkInfoShowsDrops(t *testing.T, path string, drops uint64) {
	t.Helper()
	goTool := testutil.NeedTool(t, "go")
	bin := filepath.Join(t.TempDir(), "retrace")
	if b, err := exec.Command(goTool, "build", "-o", bin, "github.com/retrace-dev/retrace/cmd/retrace").CombinedOutput(); err != nil {
		t.Fatalf("build retrace: %v\n%s", err, b)
	}
	b, err := exec.Command(bin, "info", "--json", path).Output()
	if err != nil {
		t.Fatalf("retrace info --json: %v", err)
	}
	var info struct {
		Drops *capture.Drops `json:"drops"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("retrace info --json: %v\n%s", err, b)
	}
	if info.Drops == nil || info.Drops.Total != drops {
		t.Errorf("retrace info --json drops = %+v, want total %d", info.Drops, drops)
	}
	b, err = exec.Command(bin, "info", path).Output()
	if err != nil {
		t.Fatalf("retrace info: %v", err)
	}
	if want := "drops"; !strings.Contains(string(b), want) || !strings.Contains(string(b), " events lost") {
		t.Errorf("retrace info shows no drop counters:\n%s", b)
	}
}
