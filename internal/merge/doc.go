// Package merge merges sorted runs of records into one sorted stream (a
// k-way merge). Runs are held in memory, fed live through channels, or
// written to a [Spill], a temporary file read back through small buffers,
// so that a merge of many runs holds one record and one buffer per run,
// not the runs.
package merge
