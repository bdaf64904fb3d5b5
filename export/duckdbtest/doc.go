// Package duckdbtest proves retrace's Parquet export with an independent
// reader: DuckDB (through cgo) runs the example queries of docs/EXPORT.md
// over an export of the attack corpus and compares their rows with golden
// files. It is a module of its own so that retrace's module, and the
// retrace binary, never depend on cgo or DuckDB.
package duckdbtest
