package export

import (
	"time"
)

// OCSFVersion is the OCSF schema version the rows follow
// (metadata.version).
const OCSFVersion = "1.4.0"

// SchemaVersion is the version of retrace's export layout: the columns, the
// mapping and the partitioning documented in docs/EXPORT.md. It changes
// whenever one of them does; readers find it in every file's key-value
// metadata (retrace.export.version).
const SchemaVersion = "4"

// The OCSF classes the export writes.
const (
	ClassFileActivity     = 1001
	ClassProcessActivity  = 1007
	ClassDetectionFinding = 2004
	ClassNetworkActivity  = 4001
)

// Product names the product in metadata.product.
type Product struct {
	Name       string `parquet:"name"`
	VendorName string `parquet:"vendor_name"`
	Version    string `parquet:"version"`
}

// Metadata is OCSF's metadata object: the row's provenance.
type Metadata struct {
	Version     string  `parquet:"version"`
	Product     Product `parquet:"product"`
	UID         string  `parquet:"uid"`
	LogProvider string  `parquet:"log_provider"`
	LogName     string  `parquet:"log_name"`
	Sequence    int64   `parquet:"sequence"`
	EventCode   string  `parquet:"event_code,dict"`
}

// Device is the recorded host.
type Device struct {
	Hostname string `parquet:"hostname,dict"`
	TypeID   int32  `parquet:"type_id"`
	Type     string `parquet:"type,dict"`
}

// User is a user account.
type User struct {
	Name string `parquet:"name,optional,dict"`
	UID  string `parquet:"uid,optional,dict"`
}

// Group is a user group.
type Group struct {
	Name string `parquet:"name,optional,dict"`
	UID  string `parquet:"uid,optional,dict"`
}

// File is a file, a directory or another file system object.
type File struct {
	Path         string `parquet:"path,optional"`
	Name         string `parquet:"name,optional"`
	ParentFolder string `parquet:"parent_folder,optional"`
	TypeID       int32  `parquet:"type_id"`
	Type         string `parquet:"type,dict"`
}

// ParentProcess is the parent of a [Process] (OCSF's process object,
// without its own parent).
type ParentProcess struct {
	PID         int32     `parquet:"pid,optional"`
	UID         string    `parquet:"uid,optional"`
	Name        string    `parquet:"name,optional,dict"`
	CmdLine     string    `parquet:"cmd_line,optional"`
	File        *File     `parquet:"file,optional"`
	CreatedTime time.Time `parquet:"created_time,optional,timestamp(millisecond)"`
}

// Process is OCSF's process object with the Linux extension's auid (the
// login user's uid) and group.
type Process struct {
	PID              int32          `parquet:"pid,optional"`
	TID              int32          `parquet:"tid,optional"`
	UID              string         `parquet:"uid,optional"`
	Name             string         `parquet:"name,optional,dict"`
	CmdLine          string         `parquet:"cmd_line,optional"`
	File             *File          `parquet:"file,optional"`
	WorkingDirectory string         `parquet:"working_directory,optional,dict"`
	CreatedTime      time.Time      `parquet:"created_time,optional,timestamp(millisecond)"`
	User             *User          `parquet:"user,optional"`
	Group            *Group         `parquet:"group,optional"`
	AUID             *int32         `parquet:"auid,optional"`
	ParentProcess    *ParentProcess `parquet:"parent_process,optional"`
	Lineage          []string       `parquet:"lineage,list"`
}

// Actor is who did it: the process and its user.
type Actor struct {
	Process Process `parquet:"process"`
	User    *User   `parquet:"user,optional"`
}

// Image is a container image.
type Image struct {
	Name string `parquet:"name,optional,dict"`
	Tag  string `parquet:"tag,optional,dict"`
	UID  string `parquet:"uid,optional,dict"`
}

// Container is the container the event happened in; absent on the host.
type Container struct {
	UID     string `parquet:"uid,dict"`
	Name    string `parquet:"name,optional,dict"`
	Image   *Image `parquet:"image,optional"`
	Runtime string `parquet:"runtime,optional,dict"`
}

// Endpoint is a network endpoint.
type Endpoint struct {
	IP   string `parquet:"ip,optional,dict"`
	Port int32  `parquet:"port,optional"`
}

// ConnectionInfo describes a network connection.
type ConnectionInfo struct {
	ProtocolName string `parquet:"protocol_name,optional,dict"`
	ProtocolNum  int32  `parquet:"protocol_num,optional"`
	DirectionID  int32  `parquet:"direction_id"`
	Direction    string `parquet:"direction,dict"`
}

// Unmapped holds the Falco fields that have no OCSF attribute.
type Unmapped struct {
	EvtRawTime          int64  `parquet:"evt_rawtime"`
	EvtDir              string `parquet:"evt_dir,dict"`
	FdNum               *int64 `parquet:"fd_num,optional"`
	FdType              string `parquet:"fd_type,optional,dict"`
	Flags               string `parquet:"flags,optional,dict"`
	UserLoginName       string `parquet:"user_loginname,optional,dict"`
	ProcTty             int64  `parquet:"proc_tty,optional"`
	ContainerPrivileged bool   `parquet:"container_privileged,optional"`
	Priority            string `parquet:"priority,optional,dict"`
	Source              string `parquet:"source,optional,dict"`
	Frame               int64  `parquet:"frame"`
}

// Base holds the attributes every class has. It is not a row by itself:
// each class row repeats its fields, in this order.
type Base struct {
	Time         time.Time  `parquet:"time,timestamp(millisecond)"`
	ClassUID     int32      `parquet:"class_uid"`
	ClassName    string     `parquet:"class_name,dict"`
	CategoryUID  int32      `parquet:"category_uid"`
	CategoryName string     `parquet:"category_name,dict"`
	ActivityID   int32      `parquet:"activity_id"`
	ActivityName string     `parquet:"activity_name,dict"`
	TypeUID      int64      `parquet:"type_uid"`
	TypeName     string     `parquet:"type_name,dict"`
	SeverityID   int32      `parquet:"severity_id"`
	Severity     string     `parquet:"severity,dict"`
	StatusID     int32      `parquet:"status_id"`
	Status       string     `parquet:"status,dict"`
	StatusCode   string     `parquet:"status_code,optional,dict"`
	Message      string     `parquet:"message,optional"`
	Metadata     Metadata   `parquet:"metadata"`
	Device       Device     `parquet:"device"`
	Actor        Actor      `parquet:"actor"`
	Container    *Container `parquet:"container,optional"`
	Unmapped     Unmapped   `parquet:"unmapped"`
}

// ProcessActivity is a row of OCSF class 1007.
type ProcessActivity struct {
	Base
	Process  Process `parquet:"process"`
	ExitCode *int32  `parquet:"exit_code,optional"`
}

// FileActivity is a row of OCSF class 1001.
type FileActivity struct {
	Base
	File       File  `parquet:"file"`
	FileResult *File `parquet:"file_result,optional"`
}

// NetworkActivity is a row of OCSF class 4001.
type NetworkActivity struct {
	Base
	SrcEndpoint    Endpoint       `parquet:"src_endpoint"`
	DstEndpoint    Endpoint       `parquet:"dst_endpoint"`
	ConnectionInfo ConnectionInfo `parquet:"connection_info"`
}

// Analytic is the rule that made a finding.
type Analytic struct {
	Name   string `parquet:"name,dict"`
	TypeID int32  `parquet:"type_id"`
	Type   string `parquet:"type,dict"`
}

// FindingInfo describes a finding.
type FindingInfo struct {
	UID      string   `parquet:"uid"`
	Title    string   `parquet:"title,dict"`
	Desc     string   `parquet:"desc,optional"`
	Types    []string `parquet:"types,list"`
	Analytic Analytic `parquet:"analytic"`
}

// DetectionFinding is a row of OCSF class 2004: one rule match.
type DetectionFinding struct {
	Base
	FindingInfo FindingInfo `parquet:"finding_info"`
	IsAlert     bool        `parquet:"is_alert"`
}
