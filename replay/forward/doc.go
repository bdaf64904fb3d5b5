// Package forward delivers alert lines to Falco's output channels: a file
// (file_output), a program's standard input (program_output) and an HTTP
// endpoint such as falcosidekick (http_output). A [Forwarder] puts a bounded
// queue and one goroutine in front of each [Channel], so a slow or dead
// destination holds the replay up for at most [Policy.MaxBlock] per alert;
// failed deliveries are retried with exponential backoff a bounded number of
// times, and every alert that is not delivered is counted in [Stats], never
// silently lost.
package forward
