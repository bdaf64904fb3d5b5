package export

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/compress"
	pzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// pageCodec compresses pages as zstd frames at the fastest level, without
// entropy coding of literals: a capture's file is a few hundred pages of
// at most 64 KiB, most of a few KiB, where building each page's Huffman
// tables cost more CPU than the bytes it saved (docs/EXPORT.md; 5% of the
// export, for files about 10% larger). Any zstd decoder reads the pages.
// It is safe for concurrent use.
type pageCodec struct {
	encoders sync.Pool
	decoder  pzstd.Codec
}

var _ compress.Codec = (*pageCodec)(nil)

// String returns the codec's name in parquet-go's terms.
func (c *pageCodec) String() string { return "ZSTD" }

// CompressionCodec returns the codec's code in the Parquet format.
func (c *pageCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses src into dst, reallocating dst when it is too small.
func (c *pageCodec) Encode(dst, src []byte) ([]byte, error) {
	e, _ := c.encoders.Get().(*zstd.Encoder)
	if e == nil {
		var err error
		e, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false), zstd.WithNoEntropyCompression(true))
		if err != nil {
			return nil, err
		}
	}
	dst = e.EncodeAll(src, dst[:0])
	c.encoders.Put(e)
	return dst, nil
}

// Decode decompresses src into dst, reallocating dst when it is too small.
func (c *pageCodec) Decode(dst, src []byte) ([]byte, error) { return c.decoder.Decode(dst, src) }
