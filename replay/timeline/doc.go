// Package timeline builds the analyst's views of captures, without rules:
// the shells that ran and their commands, reads of sensitive files, writes
// below binary directories, and the process tree with what each process
// did. It replays captures through replay/detect's worker pool and scope,
// and describes processes as detections do.
package timeline
