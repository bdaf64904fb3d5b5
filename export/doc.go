// Package export writes what a replay sees as Apache Parquet in OCSF
// classes: the events rules see with their resolved state (process, parent,
// user, login user, container, fd, provenance) as Process Activity (1007),
// File System Activity (1001) and Network Activity (4001), and the
// detections of the same rules as Detection Finding (2004), in Hive
// partitions class=…/host=…/day=…/ that DuckDB, Trino, Spark and Amazon
// Security Lake read unchanged.
//
// [Run] replays captures through a [detect.Detector] (the one pipeline of
// retrace replay, with its visibility rule and worker pool) and writes one
// file per capture, class and day, named after the capture: the same input
// gives the same file names and bytes, so a [Shard] of the inputs can run
// anywhere and the union of the shards' outputs is the export of all of
// them. The schema and the mapping are documented in docs/EXPORT.md, which
// a test checks against [Classes].
package export
