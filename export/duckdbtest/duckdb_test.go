//go:build cgo

package duckdbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/retrace-dev/retrace/capture/capgen"
	"github.com/retrace-dev/retrace/export"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/replay"
	"github.com/retrace-dev/retrace/replay/detect"
)

// query is one example query of docs/EXPORT.md.
type query struct {
	name, sql string
}

// queryBlock finds "<!-- query: NAME -->" followed by a ```sql block.
var queryBlock = regexp.MustCompile("(?s)<!-- query: ([a-z0-9-]+) -->\n```sql\n(.*?)```")

// docQueries returns the example queries of docs/EXPORT.md.
func docQueries(t *testing.T) []query {
	t.Helper()
	doc := filepath.Join(testutil.RepoRoot(), "docs", "EXPORT.md")
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	var out []query
	for _, m := range queryBlock.FindAllStringSubmatch(string(b), -1) {
		out = append(out, query{name: m[1], sql: m[2]})
	}
	if len(out) < 3 {
		t.Fatalf("%s: %d example queries, want at least 3", doc, len(out))
	}
	return out
}

// exportAttacks exports testdata/attacks/*.scap.zst with the built-in
// openDuckDB opens an in-memory DuckDB, closed when the test ends.
func openDuckDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rules into a new directory and returns it.
func exportAttacks(t *testing.T) string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "attacks", "*.scap.zst"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no captures in testdata/attacks: %v", err)
	}
	reg := replay.NewFieldRegistry()
	set, err := detect.LoadRules(nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	det, err := detect.New(detect.Options{Registry: reg, Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := export.Run(context.Background(), paths, export.Options{Detector: det, Registry: reg, Dir: filepath.Join(dir, "lake"), Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDocQueries runs docs/EXPORT.md's example queries with DuckDB over
// an export of the attack corpus and compares their rows with
// testdata/NAME.golden (-update rewrites them).
func TestDocQueries(t *testing.T) {
	queries := docQueries(t)
	dir := exportAttacks(t)
	db := openDuckDB(t)
	var names []string
	for _, q := range queries {
		names = append(names, q.name+".golden")
		t.Run(q.name, func(t *testing.T) {
			text := strings.ReplaceAll(q.sql, "'lake/", "'"+filepath.ToSlash(filepath.Join(dir, "lake"))+"/")
			got, n := runQuery(t, db, text)
			if n == 0 {
				t.Errorf("query %s gave no rows", q.name)
			}
			golden := filepath.Join("testdata", q.name+".golden")
			want := testutil.Golden(t, golden, []byte(got))
			if string(want) != got {
				t.Errorf("query %s: rows differ from %s (-update rewrites it)\n--- want\n%s--- got\n%s", q.name, golden, want, got)
			}
		})
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".golden") && !slices.Contains(names, e.Name()) {
			t.Errorf("testdata/%s belongs to no query of docs/EXPORT.md", e.Name())
		}
	}
}

// runQuery returns the rows of a query as text, a header line and one
// tab-separated line per row, and the number of rows.
func runQuery(t *testing.T, db *sql.DB, text string) (string, int) {
	t.Helper()
	rows, err := db.Query(text)
	if err != nil {
		t.Fatalf("run query: %v\n%s", err, text)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(strings.Join(cols, "\t") + "\n")
	n := 0
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = cell(v)
		}
		b.WriteString(strings.Join(cells, "\t") + "\n")
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String(), n
}

// cell formats one value: NULL, times in UTC, newlines escaped.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	case string:
		return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(v)
	}
	return fmt.Sprint(v)
}

// TestParentCreatedTime checks with DuckDB that every launch whose parent's
// start time is known (the third part of parent_process.uid) has the
// parent's created_time, the same instant, and that optional attributes
// left empty read as NULL, not as empty strings. parquet-go's own row
// writer wrote parent_process.created_time as always NULL.
func TestParentCreatedTime(t *testing.T) {
	dir := exportAttacks(t)
	db := openDuckDB(t)
	files := "'" + filepath.ToSlash(filepath.Join(dir, "lake")) + "/class=process_activity/*/*/*.parquet'"
	var known, missing, wrong, empty int
	q := `SELECT
	  count(*) FILTER (WHERE split_part(process.parent_process.uid, ':', 3) NOT IN ('', '0')),
	  count(*) FILTER (WHERE split_part(process.parent_process.uid, ':', 3) NOT IN ('', '0')
	                     AND process.parent_process.created_time IS NULL),
	  count(*) FILTER (WHERE process.parent_process.created_time IS NOT NULL
	                     AND epoch_ms(process.parent_process.created_time) <> split_part(process.parent_process.uid, ':', 3)::BIGINT // 1000000),
	  count(*) FILTER (WHERE process.parent_process.cmd_line = '' OR process.cmd_line = '' OR unmapped.user_loginname = '')
	FROM read_parquet(` + files + `, hive_partitioning = true)`
	if err := db.QueryRow(q).Scan(&known, &missing, &wrong, &empty); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	if known == 0 {
		t.Fatal("no Process Activity row has a parent with a known start time")
	}
	if missing != 0 || wrong != 0 {
		t.Errorf("of %d rows whose parent's start is known, %d have no parent created_time and %d a different one", known, missing, wrong)
	}
	if empty != 0 {
		t.Errorf("%d rows have an empty string where an absent attribute must be NULL", empty)
	}
}

// TestProvenanceColumns checks with DuckDB that every row of every class
// names its capture by file name (metadata.log_name, as the files are
// named after it) and carries the zstd frame of its event: the attack
// captures are .scap.zst files, so no row has -1, and the events of a long
// capture span more than one frame.
func TestProvenanceColumns(t *testing.T) {
	dir := exportAttacks(t)
	db := openDuckDB(t)
	files := "'" + filepath.ToSlash(filepath.Join(dir, "lake")) + "/class=*/*/*/*.parquet'"
	q := `SELECT count(*),
	  count(*) FILTER (WHERE metadata.log_name <> regexp_extract(filename, '([^/]*)\.parquet$', 1) || '.scap.zst'),
	  count(*) FILTER (WHERE unmapped.frame < 0),
	  max(frames)
	FROM (SELECT *, count(DISTINCT unmapped.frame) OVER (PARTITION BY metadata.log_name) AS frames
	      FROM read_parquet(` + files + `, hive_partitioning = true, filename = true, union_by_name = true))`
	var rows, badName, unframed, maxFrames int
	if err := db.QueryRow(q).Scan(&rows, &badName, &unframed, &maxFrames); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	if rows == 0 || badName != 0 || unframed != 0 || maxFrames < 2 {
		t.Errorf("%d rows: %d with a log_name other than their file's capture, %d without a frame; at most %d frames in a capture (want 2 or more)",
			rows, badName, unframed, maxFrames)
	}
}

// TestHostPartitions checks with DuckDB that the host partition of every
// row reads back as its device.hostname, for host names that must be
// escaped, that are not ASCII, and one named as Hive's default (NULL)
// partition.
func TestHostPartitions(t *testing.T) {
	hosts := []string{"web-1.example.com", "café-1", "日本", "a/b=c d%", "__HIVE_DEFAULT_PARTITION__"}
	in := t.TempDir()
	var paths []string
	for i, h := range hosts {
		p := filepath.Join(in, fmt.Sprintf("host%d.scap.zst", i))
		if _, err := capgen.WriteFile(p, capgen.Options{Events: 500, Seed: uint64(i + 1), Hostname: h}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	reg := replay.NewFieldRegistry()
	set, err := detect.LoadRules(nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	det, err := detect.New(detect.Options{Registry: reg, Rules: set})
	if err != nil {
		t.Fatal(err)
	}
	lake := filepath.Join(t.TempDir(), "lake")
	if _, err := export.Run(context.Background(), paths, export.Options{Detector: det, Registry: reg, Dir: lake, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	db := openDuckDB(t)
	rows, err := db.Query(`SELECT DISTINCT device.hostname, host FROM read_parquet('` + filepath.ToSlash(lake) +
		`/class=process_activity/*/*/*.parquet', hive_partitioning = true) ORDER BY ALL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seen []string
	for rows.Next() {
		var name string
		var host sql.NullString
		if err := rows.Scan(&name, &host); err != nil {
			t.Fatal(err)
		}
		if !host.Valid || host.String != name {
			t.Errorf("rows of host %q read host partition %q (valid %v)", name, host.String, host.Valid)
		}
		seen = append(seen, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(hosts) {
		t.Errorf("hosts read: %q, want %q", seen, hosts)
	}
}
