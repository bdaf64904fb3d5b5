// Package detect is retrace's detection pipeline: one capture or many →
// the events rules may see → detections, or the lines of a sysdig-style
// filter (-F), in time order across captures and in bounded memory.
//
// A [Detector] holds what one run needs (the rule set or the filter, the
// event [Visibility] of a Falco version, the [Scope] of events to report)
// and replays captures with a pool of workers, one capture per worker at a
// time. [Detector.Run] merges the outputs of many captures in time order,
// streaming them when every capture has a worker and merging spilled runs
// otherwise; [Detector.Capture] replays one capture. `retrace replay`,
// `retrace test` (through [CaseRunner], a suite.Runner) and the built-in
// rule tests all run this one pipeline.
package detect
