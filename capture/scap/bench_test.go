package scap

import (
	"net/netip"
	"testing"
)

// benchEvents is a small realistic mix: execve, openat, read, write, close,
// connect and clone exit events with typical parameter sizes.
func benchEvents() [][]byte {
	lo := netip.MustParseAddr("127.0.0.1")
	data := make([]byte, 80)
	return [][]byte{
		AppendEvent(nil, 1, 100, SyscallOpenatV2X, EncInt64(3), EncInt64(-100), EncString("/etc/ld.so.cache"), EncUint32(4097), EncUint32(0), EncUint32(0x803), EncUint64(1234)),
		AppendEvent(nil, 2, 100, SyscallReadE, EncInt64(3), EncUint32(832)),
		AppendEvent(nil, 3, 100, SyscallReadX, EncInt64(832), data, EncInt64(3), EncUint32(832)),
		AppendEvent(nil, 4, 100, SyscallWriteX, EncInt64(80), data, EncInt64(1), EncUint32(80)),
		AppendEvent(nil, 5, 100, SyscallCloseX, EncInt64(0), EncInt64(3)),
		AppendEvent(nil, 6, 100, SocketConnectX, EncInt64(0), EncSockTuple(lo, 40000, lo, 80), EncInt64(4), EncSockAddr(lo, 80)),
		AppendEvent(nil, 7, 100, SyscallExecveV19X, EncInt64(0), EncString("/bin/cat"), EncList("cat", "/etc/passwd"), EncInt64(100), EncInt64(100), EncInt64(1),
			EncString("/root"), EncUint64(1024), EncUint64(0), EncUint64(61), EncUint32(360), EncUint32(4), EncUint32(0), EncString("cat"),
			EncList("cpuset=/", "cpu=/user.slice"), EncList("HOME=/root", "PATH=/usr/bin:/bin"), EncUint32(34816), EncInt64(100), EncUint32(0),
			EncUint32(0), EncUint64(0), EncUint64(0), EncUint64(0), EncUint64(42), EncUint64(0), EncUint64(0), EncUint32(0), EncString("/usr/bin/cat"),
			EncInt64(100), EncUint32(0), EncString("/bin/cat")),
		AppendEvent(nil, 8, 100, SyscallCloneV20X, EncInt64(101), EncString("/bin/sh"), EncList("-c", "x"), EncInt64(100), EncInt64(100), EncInt64(1),
			EncString("/"), EncInt64(1024), EncUint64(0), EncUint64(0), EncUint32(0), EncUint32(0), EncUint32(0), EncString("sh"), EncList("cpu=/"),
			EncUint32(0), EncUint32(0), EncUint32(0), EncInt64(101), EncInt64(101), EncUint64(0)),
	}
}

func BenchmarkDecode(b *testing.B) {
	evs := benchEvents()
	var e Event
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, ev := range evs {
			if err := e.Decode(ev, false); err != nil {
				b.Fatal(err)
			}
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkDecodeV1(b *testing.B) {
	var evs [][]byte
	for _, ev := range benchEvents() {
		evs = append(evs, v1Event(ev))
	}
	var e Event
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, ev := range evs {
			if err := e.Decode(ev, true); err != nil {
				b.Fatal(err)
			}
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeAccess decodes each event and reads the parameters replay
// reads most: the return value or fd, a path, the dispatch id and type name.
func BenchmarkDecodeAccess(b *testing.B) {
	evs := benchEvents()
	var e Event
	var sink int64
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, ev := range evs {
			if err := e.Decode(ev, false); err != nil {
				b.Fatal(err)
			}
			v, _ := e.ParamInt64(0)
			sink += v + int64(len(e.ParamString(1))) + int64(e.DispatchID()) + int64(len(e.TypeName()))
			if p, ok := e.ParamByName("fd"); ok {
				sink += int64(len(p))
			}
		}
		n += len(evs)
	}
	if sink == 42 {
		b.Log(sink)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAppendArgs(b *testing.B) {
	evs := benchEvents()
	var e Event
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, ev := range evs {
			if err := e.Decode(ev, false); err != nil {
				b.Fatal(err)
			}
			buf = AppendArgs(buf[:0], &e)
		}
		n += len(evs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkAppendEvent(b *testing.B) {
	path := EncString("/etc/ld.so.cache")
	fd, dirfd, flags, mode, dev, ino := EncInt64(3), EncInt64(-100), EncUint32(4097), EncUint32(0), EncUint32(0x803), EncUint64(1234)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		buf = AppendEvent(buf[:0], 1, 100, SyscallOpenatV2X, fd, dirfd, path, flags, mode, dev, ino)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkBuilder(b *testing.B) {
	var bld Builder
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		buf = bld.Begin(1, 100, SyscallOpenatV2X).Int64(3).Int64(-100).String("/etc/ld.so.cache").
			Uint32(4097).Uint32(0).Uint32(0x803).Uint64(1234).AppendTo(buf[:0])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
