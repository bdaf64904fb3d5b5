package export

import (
	"slices"
)

// Class is one OCSF class the export writes, with its partition name.
type Class struct {
	UID          int32
	Name         string // class_name
	Partition    string // the value of class= in paths
	CategoryUID  int32
	CategoryName string
	// Row is a zero row of the class, whose Parquet schema is the class's.
	Row any
}

// Classes are the classes the export writes, by class_uid.
var Classes = []Class{
	{ClassFileActivity, "File System Activity", "file_activity", 1, "System Activity", FileActivity{}},
	{ClassProcessActivity, "Process Activity", "process_activity", 1, "System Activity", ProcessActivity{}},
	{ClassDetectionFinding, "Detection Finding", "detection_finding", 2, "Findings", DetectionFinding{}},
	{ClassNetworkActivity, "Network Activity", "network_activity", 4, "Network Activity", NetworkActivity{}},
}

// classOf returns the class of uid.
func classOf(uid int32) *Class {
	i := slices.IndexFunc(Classes, func(c Class) bool { return c.UID == uid })
	return &Classes[i]
}

// Activity is what one kind of scap event becomes: a class and an
// activity of it.
type Activity struct {
	Class int32
	ID    int32
	Name  string
}

// Activity ids of the classes, with OCSF's captions.
var (
	fileCreate      = Activity{ClassFileActivity, 1, "Create"}
	fileRead        = Activity{ClassFileActivity, 2, "Read"}
	fileUpdate      = Activity{ClassFileActivity, 3, "Update"}
	fileDelete      = Activity{ClassFileActivity, 4, "Delete"}
	fileRename      = Activity{ClassFileActivity, 5, "Rename"}
	fileSetSecurity = Activity{ClassFileActivity, 7, "Set Security"}
	fileMount       = Activity{ClassFileActivity, 12, "Mount"}
	fileUnmount     = Activity{ClassFileActivity, 13, "Unmount"}
	fileOpen        = Activity{ClassFileActivity, 14, "Open"}
	procLaunch      = Activity{ClassProcessActivity, 1, "Launch"}
	procTerminate   = Activity{ClassProcessActivity, 2, "Terminate"}
	procSetUID      = Activity{ClassProcessActivity, 5, "Set User ID"}
	netOpen         = Activity{ClassNetworkActivity, 1, "Open"}
	netClose        = Activity{ClassNetworkActivity, 2, "Close"}
	netFail         = Activity{ClassNetworkActivity, 4, "Fail"}
	netTraffic      = Activity{ClassNetworkActivity, 6, "Traffic"}
	netListen       = Activity{ClassNetworkActivity, 7, "Listen"}
	findingCreate   = Activity{ClassDetectionFinding, 1, "Create"}
)

// EventMapping is how the events of one evt.type become rows.
type EventMapping struct {
	// Types are the evt.type names.
	Types []string
	// Activity is the class and activity of the row.
	Activity Activity
	// Fd, when set, limits the mapping to events whose fd.typechar is one
	// of these (for syscalls that work on files and sockets alike).
	Fd string
	// Note says what else decides the row, for docs/EXPORT.md.
	Note string
}

// EventMappings is the mapping from scap events (exit events, and the
// events without an exit) to OCSF classes and activities. Events of other
// types, and enter events, are not exported.
var EventMappings = []EventMapping{
	{[]string{"execve", "execveat"}, procLaunch, "", "successful exec: `process` is the new program, `actor.process` its parent"},
	{[]string{"clone", "clone3", "fork", "vfork"}, procLaunch, "", "the child's side (evt.rawres = 0): `process` is the child, `actor.process` its parent"},
	{[]string{"procexit"}, procTerminate, "", "`exit_code` from the exit status"},
	{[]string{"setuid", "setreuid", "setresuid"}, procSetUID, "", "`process.user` is the user after the call"},
	{[]string{"open", "openat", "openat2", "open_by_handle_at"}, fileOpen, "", "`unmapped.flags` has the open flags (O_RDONLY …)"},
	{[]string{"creat", "mkdir", "mkdirat"}, fileCreate, "", ""},
	{[]string{"link", "linkat", "symlink", "symlinkat"}, fileCreate, "", "`file` is the new link, `file_result` what it points to"},
	{[]string{"unlink", "unlinkat", "rmdir"}, fileDelete, "", ""},
	{[]string{"rename", "renameat", "renameat2"}, fileRename, "", "`file` is the old path, `file_result` the new one"},
	{[]string{"chmod", "fchmod", "fchmodat", "chown", "lchown", "fchown", "fchownat"}, fileSetSecurity, "", ""},
	{[]string{"mount"}, fileMount, "", "`file` is the mount point"},
	{[]string{"umount", "umount2"}, fileUnmount, "", ""},
	{[]string{"read", "pread", "readv", "preadv"}, fileRead, "f", "visible with -A only"},
	{[]string{"write", "pwrite", "writev", "pwritev"}, fileUpdate, "f", "visible with -A only"},
	{[]string{"connect"}, netOpen, "46", "outbound; a failed connect (other than EINPROGRESS) or accept is Fail (4)"},
	{[]string{"accept", "accept4"}, netOpen, "46", "inbound"},
	{[]string{"listen"}, netListen, "46", ""},
	{[]string{"close"}, netClose, "46", "close of a TCP/UDP socket"},
	{[]string{"sendto", "sendmsg", "recvfrom", "recvmsg", "send", "recv", "read", "write", "readv", "writev"}, netTraffic, "46",
		"read, write, send and recv are visible with -A only"},
}

// mappingsByType indexes EventMappings by evt.type.
func mappingsByType() map[string][]*EventMapping {
	m := map[string][]*EventMapping{}
	for i := range EventMappings {
		for _, t := range EventMappings[i].Types {
			m[t] = append(m[t], &EventMappings[i])
		}
	}
	return m
}
