package capture

import (
	"bufio"
	"bytes"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Reading many small captures one after another (Falco writes one per rule
// trigger; replay, export and test read hundreds) spent more on setting up
// each reader than on its events: a 256 KiB file buffer, a zstd decoder and
// the frame buffers, all allocated and zeroed anew for every file. A closed
// reader gives them back here for the next one (docs/PERFORMANCE.md,
// "Reader setup").
//
// What a reader hands out (blocks, events) lives in these buffers: it is
// valid until the reader moves past its frame or is closed, as documented
// on [Reader.Next]. Race-detector builds fill returned buffers with
// poisonByte so that tests that use anything after Close see garbage.
var (
	fileBuffers sync.Pool // *bufio.Reader of fileBufferSize bytes
	frameJobs   sync.Pool // *frameJob, idle, with its buffers
	decoders    sync.Map  // workers (int) -> *sync.Pool of *zstd.Decoder
)

const poisonByte = 0xA5

// getFileBuffer returns a buffered reader of rd.
func getFileBuffer(rd io.Reader) *bufio.Reader {
	if br, ok := fileBuffers.Get().(*bufio.Reader); ok {
		br.Reset(rd)
		return br
	}
	return bufio.NewReaderSize(rd, fileBufferSize)
}

// putFileBuffer keeps br for another reader.
func putFileBuffer(br *bufio.Reader) {
	if poisonReleased {
		br.Reset(bytes.NewReader(bytes.Repeat([]byte{poisonByte}, br.Size())))
		br.Peek(br.Size())
	}
	br.Reset(nil)
	fileBuffers.Put(br)
}

// getDecoder returns a zstd decoder of frames for workers concurrent
// decodings.
func getDecoder(workers int) *zstd.Decoder {
	p, _ := decoders.LoadOrStore(workers, new(sync.Pool))
	if d, ok := p.(*sync.Pool).Get().(*zstd.Decoder); ok {
		return d
	}
	d, _ := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(workers),
		zstd.WithDecoderMaxWindow(MaxFrameContent),
		zstd.WithDecoderMaxMemory(MaxFrameContent))
	return d
}

// putDecoder keeps d, made by getDecoder(workers), for another reader.
func putDecoder(workers int, d *zstd.Decoder) {
	p, _ := decoders.Load(workers)
	p.(*sync.Pool).Put(d)
}

// getFrameJob returns an idle frame job.
func getFrameJob() *frameJob {
	if j, ok := frameJobs.Get().(*frameJob); ok {
		return j
	}
	return &frameJob{done: make(chan struct{}, 1)}
}

// putFrameJob keeps j, which no goroutine uses any more, for another
// reader: its buffers up to bigFrame bytes stay with it.
func putFrameJob(j *frameJob) {
	if j.big {
		j.dst, j.small, j.big = j.small, nil, false
	}
	trimBuffers(j)
	if poisonReleased {
		poison(j.src[:cap(j.src)])
		poison(j.dst[:cap(j.dst)])
	}
	select {
	case <-j.done: // a decoding nobody waited for
	default:
	}
	j.kind, j.index, j.offset, j.magic, j.err, j.gapEnd, j.size = 0, 0, 0, 0, nil, 0, 0
	j.src, j.dst = j.src[:0], j.dst[:0]
	j.claimed.Store(0)
	frameJobs.Put(j)
}

func poison(b []byte) {
	for i := range b {
		b[i] = poisonByte
	}
}
