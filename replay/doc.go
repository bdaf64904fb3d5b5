// Package replay rebuilds, from a capture alone, the system state libsinsp
// keeps while it reads events: the thread table and process tree, the file
// descriptor table of every process, users and groups, and containers. It
// exposes that state through the field registry the rule engine compiles
// against ([NewFieldRegistry]) and drives whole captures through a
// callback ([Replay], [Run]).
//
// A [State] is updated by one goroutine, in event order ([State.Apply]);
// it holds memory proportional to the live processes of the capture, not
// to its length: exited threads are freed one event after their procexit,
// as libsinsp does. Several captures replay concurrently with one State
// each.
package replay
