// Package capture reads and writes syscall capture files: plain scap files
// (.scap) as sysdig and Falco write them, gzip-compressed scap files
// (.scap.gz), and retrace's own .scap.zst files, which hold the same scap
// blocks in independent zstd frames followed by metadata frames.
//
// A [Reader] detects the format from the file's first bytes, decodes the
// header blocks (machine, interfaces, users, groups, processes, file
// descriptors) into a [Header], and then yields events one at a time, in file
// order, as zero-copy [scap.Event] views. A [Writer] appends header blocks and
// events, cuts zstd frames by size and time, and closes the file with its
// metadata, frame index, footer and seek table. Bad input gives a
// [*CorruptError] or a [*TruncatedError] naming the file and the byte offset,
// never a panic.
//
// The byte layout is described in docs/FORMAT.md, section "File format".
package capture
