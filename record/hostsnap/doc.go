// Package hostsnap takes the snapshot of a Linux host that starts a
// recording: machine info, every process and thread from /proc with their
// open file descriptors (sockets resolved from /proc/PID/net per network
// namespace), users and groups, and network interfaces, as the header
// blocks of a capture ([capture.Header]).
package hostsnap
