package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// rowGroupRows bounds the rows a file's writer buffers before it writes a
// row group: what bounds a worker's memory, whatever the capture's size.
const rowGroupRows = 64 << 10

// pageBufferSize is the buffer of one column's page: a part has about
// a hundred columns, so the default (256 KiB) would cost 25 MiB a part;
// 64 KiB writes a quarter of the pages 16 KiB did (fewer page headers,
// statistics and zstd frames: 5% less export CPU, 15% smaller files)
// with the same peak memory over many small captures.
const pageBufferSize = 64 << 10

// batchRows is how many rows a part buffers before handing them to the
// Parquet writer.
const batchRows = 512

// part is one output file being written: one class and day of one capture.
type part interface {
	flush() error
	// close writes the file and renames it into place; a non-empty
	// incomplete is written as retrace.export.incomplete.
	close(incomplete string) error
	abort()
	rows() int64
	final() string
}

// writerPool holds a worker's idle Parquet writers, one per class: setting
// a writer up (its schema's write functions) costs more than writing the
// rows of a small capture, so each is reset onto the next file instead.
type writerPool map[int32]any

// classWriter is a Parquet writer of rows of type T and its column plan.
type classWriter[T any] struct {
	w   *parquet.GenericWriter[T]
	col *columnar
	// buf is the row buffer of the part using the writer (batchRows rows,
	// zero when the writer is idle).
	buf []T
}

// writerOptions returns the options of every file, made on first use (not
// when any retrace command starts: the text columns come from reflecting
// on every class's schema).
var writerOptions = sync.OnceValue(func() []parquet.WriterOption {
	return append([]parquet.WriterOption{
		parquet.Compression(new(pageCodec)), parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.PageBufferSize(pageBufferSize), parquet.CreatedBy("retrace export", SchemaVersion, ""),
		parquet.KeyValueMetadata("retrace.export.version", SchemaVersion), parquet.KeyValueMetadata("ocsf.version", OCSFVersion),
	}, textWithoutBounds()...)
})

// textWithoutBounds returns the options that leave the text columns of
// every class without minimum and maximum (page statistics, column index,
// row-group statistics; null counts stay): in a capture's file a text
// column's values span most of the alphabet, so its bounds prune nothing,
// and computing them cost about 5% of the export (docs/EXPORT.md,
// "Statistics"). Numbers and times keep theirs.
func textWithoutBounds() []parquet.WriterOption {
	var opts []parquet.WriterOption
	seen := map[string]bool{}
	for _, c := range Classes {
		schema := parquet.SchemaOf(c.Row)
		for _, path := range schema.Columns() {
			leaf, _ := schema.Lookup(path...)
			key := strings.Join(path, ".")
			if leaf.Node.Type().Kind() != parquet.ByteArray || seen[key] {
				continue
			}
			seen[key] = true
			opts = append(opts, parquet.SkipPageBounds(path...), parquet.SkipPageStatistics(path...))
		}
	}
	return opts
}

// typedPart writes rows of type T into a temporary file that close renames
// to its final name.
type typedPart[T any] struct {
	tmp, path string
	class     int32
	pool      writerPool
	f         *os.File
	cw        *classWriter[T]
	buf       []T
	n         int64
	// group counts the rows of the row group being written.
	group int64
}

// newPart creates the temporary file of the part of class at path, with a
// writer from pool or a new one.
func newPart[T any](pool writerPool, class int32, path string) (*typedPart[T], error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create partition: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create part: %w", err)
	}
	var cw *classWriter[T]
	if idle, ok := pool[class]; ok {
		delete(pool, class)
		cw = idle.(*classWriter[T])
		cw.w.Reset(f)
	} else {
		w := parquet.NewGenericWriter[T](f, writerOptions()...)
		col, err := newColumnar(reflect.TypeFor[T](), w.Schema())
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, err
		}
		cw = &classWriter[T]{w: w, col: col, buf: make([]T, 0, batchRows)}
	}
	return &typedPart[T]{tmp: f.Name(), path: path, class: class, pool: pool, f: f, cw: cw, buf: cw.buf[:0]}, nil
}

// slot returns the next row of the part's buffer to fill (a zero row);
// done counts it.
func (p *typedPart[T]) slot() *T {
	p.buf = p.buf[:len(p.buf)+1]
	return &p.buf[len(p.buf)-1]
}

// done counts the row slot returned, writing the buffer when it is full.
func (p *typedPart[T]) done() error {
	p.n++
	if len(p.buf) == cap(p.buf) {
		return p.flush()
	}
	return nil
}

func (p *typedPart[T]) flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	err := p.write(p.buf)
	clear(p.buf)
	p.buf = p.buf[:0]
	if err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// write writes rows into the column buffers, ending a row group every
// rowGroupRows rows.
func (p *typedPart[T]) write(rows []T) error {
	for len(rows) > 0 {
		n := min(int64(len(rows)), rowGroupRows-p.group)
		if err := p.cw.col.write(p.cw.w.ColumnWriters(), unsafe.Pointer(&rows[0]), int(n)); err != nil {
			return err
		}
		rows = rows[n:]
		if p.group += n; p.group == rowGroupRows {
			if err := p.cw.w.Flush(); err != nil {
				return err
			}
			p.group = 0
		}
	}
	return nil
}

// incompleteKey is the key-value metadata of the files of a capture read
// in part: where the capture broke.
const incompleteKey = "retrace.export.incomplete"

func (p *typedPart[T]) close(incomplete string) error {
	err := p.flush()
	if err == nil {
		if incomplete != "" {
			p.cw.w.SetKeyValueMetadata(incompleteKey, incomplete)
		}
		if err = p.cw.w.Close(); err != nil {
			err = fmt.Errorf("write %s: %w", p.path, err)
		} else if incomplete == "" {
			// A writer keeps its key-value metadata over a reset: one
			// that wrote the key is not used again.
			p.pool[p.class] = p.cw
		}
	}
	if cerr := p.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", p.path, cerr)
	}
	if err == nil {
		if err = os.Rename(p.tmp, p.path); err != nil {
			err = fmt.Errorf("write %s: %w", p.path, err)
		}
	}
	if err != nil {
		os.Remove(p.tmp)
	}
	return err
}

func (p *typedPart[T]) abort() {
	p.f.Close()
	os.Remove(p.tmp)
}

func (p *typedPart[T]) rows() int64   { return p.n }
func (p *typedPart[T]) final() string { return p.path }

// partKey names a part of one capture.
type partKey struct {
	class int32
	day   string
}

// captureParts holds the open parts of one capture's export.
type captureParts struct {
	dir, host, stem string
	// incomplete says where the capture broke when it was read in part.
	incomplete string
	parts      map[partKey]part
	pool       writerPool
	// day is the day partition of dayNum (days since the epoch).
	day      string
	dayNum   int64
	dayKnown bool
}

// partPath returns the path of the file of class, host and day for the
// capture whose name is stem.
func partPath(dir string, c *Class, host, day, stem string) string {
	return filepath.Join(dir, "class="+c.Partition, "host="+partitionValue(host), "day="+day, stem+".parquet")
}

// defaultPartition is Hive's partition of NULL values.
const defaultPartition = "__HIVE_DEFAULT_PARTITION__"

// partitionValue escapes a Hive partition value as Hive does: ASCII bytes
// other than letters, digits, '.', '-' and '_' as %XX, printable non-ASCII
// characters as they are (Hive's readers decode each %XX to one
// character), bytes of invalid UTF-8 and unprintable characters as %XX
// per byte. An empty value is Hive's default partition (NULL); a value
// named so has its first '_' escaped.
func partitionValue(s string) string {
	switch s {
	case "":
		return defaultPartition
	case defaultPartition:
		return "%5F" + s[1:]
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r >= utf8.RuneSelf && r != utf8.RuneError && unicode.IsPrint(r) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		if r == utf8.RuneError {
			n = 1
		}
		for _, c := range []byte(s[i : i+n]) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		i += n
	}
	return b.String()
}

// dayOf is the day partition of a time: its UTC date.
func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// getPart returns the part of class for the time ts (ns since the epoch),
// creating it.
func getPart[T any](cp *captureParts, class int32, ts uint64) (*typedPart[T], error) {
	// Rows come in time order: the day's text is made once per day.
	d := int64(ts / 1e9 / 86400)
	if !cp.dayKnown || d != cp.dayNum {
		cp.dayNum, cp.day, cp.dayKnown = d, dayOf(time.Unix(0, int64(ts))), true
	}
	k := partKey{class, cp.day}
	if p, ok := cp.parts[k]; ok {
		return p.(*typedPart[T]), nil
	}
	p, err := newPart[T](cp.pool, class, partPath(cp.dir, classOf(class), cp.host, k.day, cp.stem))
	if err != nil {
		return nil, err
	}
	cp.parts[k] = p
	return p, nil
}

// removeStale removes the files of the capture's earlier exports that this
// one did not write (written): the files named after it in the day
// partitions of its host in every class. Files of other names, or of other
// hosts, are other captures': a shard of the same export may be writing
// them.
func (cp *captureParts) removeStale(written []string) error {
	name := cp.stem + ".parquet"
	var errs []error
	for _, c := range Classes {
		hostDir := filepath.Join(cp.dir, "class="+c.Partition, "host="+partitionValue(cp.host))
		days, err := os.ReadDir(hostDir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove earlier files: %w", err))
			}
			continue
		}
		for _, d := range days {
			if !d.IsDir() || !strings.HasPrefix(d.Name(), "day=") {
				continue
			}
			p := filepath.Join(hostDir, d.Name(), name)
			if slices.Contains(written, p) {
				continue
			}
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove earlier file: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// finish closes every part (renaming the files into place) when err is
// nil, or removes them; it returns the files written and the rows per
// class.
func (cp *captureParts) finish(err error) (files []string, rows map[int32]int64, _ error) {
	keys := make([]partKey, 0, len(cp.parts))
	for k := range cp.parts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b partKey) int {
		if a.class != b.class {
			return int(a.class - b.class)
		}
		return strings.Compare(a.day, b.day)
	})
	if err != nil {
		for _, k := range keys {
			cp.parts[k].abort()
		}
		return nil, nil, err
	}
	rows = map[int32]int64{}
	var errs []error
	for _, k := range keys {
		p := cp.parts[k]
		if cerr := p.close(cp.incomplete); cerr != nil {
			errs = append(errs, cerr)
			continue
		}
		files = append(files, p.final())
		rows[k.class] += p.rows()
	}
	return files, rows, errors.Join(errs...)
}
