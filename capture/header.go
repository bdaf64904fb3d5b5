package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Header holds what a capture says before its first event: the section
// header, machine info, interfaces, users, groups, the process snapshot and
// the fd tables, plus retrace's own metadata for .scap.zst files.
type Header struct {
	// Format is the container format detected from the file's magic bytes.
	Format Format
	// Version is the scap section version (1.2 for current writers).
	Version SectionVersion
	// Machine is the machine info block, or nil when the file has none.
	Machine *MachineInfo
	// Interfaces lists the network interfaces of the capturing host.
	Interfaces []Interface
	// Users and Groups come from the user list block.
	Users  []User
	Groups []Group
	// Processes is the /proc snapshot taken when the capture started.
	Processes []Process
	// FDs holds the open file descriptors of the snapshot's threads.
	FDs []FDList
	// BlockCounts counts the header blocks by name (e.g. "PL_V6": 1).
	BlockCounts map[string]int
	// Metadata is retrace's capture metadata (.scap.zst files written by
	// retrace), or nil.
	Metadata *Metadata
}

// MachineInfo is the machine info block.
type MachineInfo struct {
	NumCPUs     uint32
	MemoryBytes uint64
	MaxPID      uint64
	Hostname    string
	// BootTime is the host's boot time in nanoseconds since the epoch.
	BootTime uint64
	Flags    uint64
}

const machineInfoLen = 4 + 8 + 8 + 128 + 8 + 8 + 8 + 8

// Interface types stored in interface list entries.
const (
	InterfaceIPv4            = 1
	InterfaceIPv6            = 2
	InterfaceIPv4NoLinkSpeed = 3
	InterfaceIPv6NoLinkSpeed = 4
)

// Interface is one address of a network interface.
type Interface struct {
	Type      uint16
	Name      string
	Addr      netip.Addr
	Netmask   netip.Addr
	Broadcast netip.Addr
	LinkSpeed uint64
}

// User is one entry of the user list.
type User struct {
	UID, GID             uint32
	Name, HomeDir, Shell string
}

// Group is one group entry of the user list.
type Group struct {
	GID  uint32
	Name string
}

// Process is one thread of the process list snapshot, with every field of
// process list versions 1 to 9. Fields a block version lacks keep the values
// libscap gives them (-1 for SID, VPGID, VTID, VPID, PGID; loginuid
// 0xFFFFFFFF).
type Process struct {
	TID, PID, PTID uint64
	SID            int64 // V6+
	VPGID          int64 // V8+
	Comm           string
	Exe            string
	ExePath        string // V7+
	Args           []string
	Cwd            string
	FDLimit        uint64
	Flags          uint32
	UID, GID       uint32
	VMSizeKB       uint32 // V2+
	VMRSSKB        uint32
	VMSwapKB       uint32
	PageFaultsMaj  uint64
	PageFaultsMin  uint64
	Env            []string // V3+
	VTID, VPID     int64    // V4+
	Cgroups        []string
	Root           string // V5+
	// Length-gated V9 tail.
	PidnsInitStartTS uint64
	TTY              uint32
	LoginUID         uint32
	ExeWritable      bool
	CapInheritable   uint64
	CapPermitted     uint64
	CapEffective     uint64
	ExeUpperLayer    bool
	ExeIno           uint64
	ExeInoCtime      uint64
	ExeInoMtime      uint64
	ExeFromMemfd     bool
	ExeLowerLayer    bool
	PGID             int64
}

// FD types (scap_fd_type).
const (
	FDUnknown      = 0
	FDFile         = 1
	FDDirectory    = 2
	FDIPv4Sock     = 3
	FDIPv6Sock     = 4
	FDIPv4ServSock = 5
	FDIPv6ServSock = 6
	FDFifo         = 7
	FDUnixSock     = 8
	FDEvent        = 9
	FDUnsupported  = 10
	FDSignalFD     = 11
	FDEventPoll    = 12
	FDInotify      = 13
	FDTimerFD      = 14
	FDNetlink      = 15
	FDFileV2       = 16
	FDBPF          = 17
	FDUserfaultFD  = 18
	FDIOUring      = 19
	FDMemFD        = 20
	FDPidFD        = 21
)

// FD is one open file descriptor of the fd list.
type FD struct {
	Num  int64
	Ino  uint64
	Type uint8
	// Sockets: addresses, ports (host order) and layer-4 protocol. Server
	// sockets use SrcIP and SrcPort.
	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16
	L4Proto          uint8
	// Unix sockets: kernel pointers of both ends.
	UnixSource, UnixDest uint64
	// Name is the path (files, unix sockets) or description.
	Name      string
	OpenFlags uint32 // FILE_V2
	Dev       uint32 // FILE_V2, when present
}

// FDList is the fd table of one thread.
type FDList struct {
	TID uint64
	FDs []FD
}

// addBlock decodes a header block into h.
func (h *Header) addBlock(b Block) error {
	body := b.Body()
	if h.BlockCounts == nil {
		h.BlockCounts = map[string]int{}
	}
	h.BlockCounts[BlockName(b.Type)]++
	switch t := b.Type; {
	case t == BlockSHB:
		v, err := parseSectionHeader(body)
		if err != nil {
			return err
		}
		h.Version = v
	case t == BlockMI || t == BlockMILegacy:
		m := decodeMachineInfo(body)
		h.Machine = &m
	case t == BlockIL || t == BlockILLegacy || t == BlockILV2:
		ifs, err := decodeInterfaces(body, t == BlockILV2)
		if err != nil {
			return err
		}
		h.Interfaces = append(h.Interfaces, ifs...)
	case t == BlockUL || t == BlockULLegacy || t == BlockULV2:
		us, gs, err := decodeUsers(body, t == BlockULV2)
		if err != nil {
			return err
		}
		h.Users = append(h.Users, us...)
		h.Groups = append(h.Groups, gs...)
	case plVersion(t) > 0:
		ps, err := decodeProcesses(body, plVersion(t))
		if err != nil {
			return err
		}
		h.Processes = append(h.Processes, ps...)
	case t == BlockFDL || t == BlockFDLLegacy || t == BlockFDLV2:
		l, err := decodeFDList(body, t == BlockFDLV2)
		if err != nil {
			return err
		}
		h.FDs = append(h.FDs, l)
	}
	return nil
}

// decodeMachineInfo decodes a machine info body; a shorter body (an older
// producer) leaves the missing fields zero.
func decodeMachineInfo(body []byte) MachineInfo {
	var buf [machineInfoLen]byte
	copy(buf[:], body)
	b := buf[:]
	name := b[20:148]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return MachineInfo{
		NumCPUs:     binary.LittleEndian.Uint32(b[0:]),
		MemoryBytes: binary.LittleEndian.Uint64(b[4:]),
		MaxPID:      binary.LittleEndian.Uint64(b[12:]),
		Hostname:    string(name),
		BootTime:    binary.LittleEndian.Uint64(b[148:]),
		Flags:       binary.LittleEndian.Uint64(b[156:]),
	}
}

func addr4(b []byte) netip.Addr {
	if len(b) < 4 {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(b[:4]))
}

func addr16(b []byte) netip.Addr {
	if len(b) < 16 {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(b[:16]))
}

func decodeInterfaces(body []byte, v2 bool) ([]Interface, error) {
	var out []Interface
	c := cursor{b: body}
	for c.left() >= 4 {
		start := c.off
		entryLen := -1
		if v2 {
			entryLen = int(c.u32("interface entry length"))
			start = c.off
		}
		var it Interface
		it.Type = c.u16("interface type")
		nameLen := int(c.u16("interface name length"))
		switch it.Type {
		case InterfaceIPv4, InterfaceIPv4NoLinkSpeed:
			it.Addr = addr4(c.bytes(4, "interface address"))
			it.Netmask = addr4(c.bytes(4, "interface netmask"))
			it.Broadcast = addr4(c.bytes(4, "interface broadcast"))
		case InterfaceIPv6, InterfaceIPv6NoLinkSpeed:
			it.Addr = addr16(c.bytes(16, "interface address"))
			it.Netmask = addr16(c.bytes(16, "interface netmask"))
			it.Broadcast = addr16(c.bytes(16, "interface broadcast"))
		default:
			if c.err == nil {
				return out, fmt.Errorf("interface list: unknown interface type %d at offset %d", it.Type, start)
			}
		}
		if it.Type == InterfaceIPv4 || it.Type == InterfaceIPv6 {
			it.LinkSpeed = c.u64("interface link speed")
		}
		it.Name = string(c.bytes(nameLen, "interface name"))
		if c.err != nil {
			return out, fmt.Errorf("interface list: %w", c.err)
		}
		if entryLen >= 0 {
			if used := c.off - start; used > entryLen {
				return out, fmt.Errorf("interface list: entry at offset %d uses %d bytes, its length says %d", start, used, entryLen)
			} else if !c.need(entryLen-used, "interface entry") {
				return out, fmt.Errorf("interface list: %w", c.err)
			}
			c.off = start + entryLen
		}
		out = append(out, it)
	}
	return out, nil
}

func decodeUsers(body []byte, v2 bool) ([]User, []Group, error) {
	var users []User
	var groups []Group
	c := cursor{b: body}
	for c.left() >= 4 {
		start := c.off
		entryLen := -1
		if v2 {
			entryLen = int(c.u32("user entry length"))
		}
		switch typ := c.u8("user entry type"); typ {
		case 0:
			u := User{UID: c.u32("uid"), GID: c.u32("gid")}
			u.Name = c.str("user name")
			u.HomeDir = c.str("home directory")
			u.Shell = c.str("shell")
			users = append(users, u)
		default:
			g := Group{GID: c.u32("gid")}
			g.Name = c.str("group name")
			groups = append(groups, g)
		}
		if c.err != nil {
			return users, groups, fmt.Errorf("user list: %w", c.err)
		}
		if entryLen >= 0 {
			if used := c.off - start; used > entryLen {
				return users, groups, fmt.Errorf("user list: entry at offset %d uses %d bytes, its length says %d", start, used, entryLen)
			} else if !c.need(entryLen-used, "user entry") {
				return users, groups, fmt.Errorf("user list: %w", c.err)
			}
			c.off = start + entryLen
		}
	}
	return users, groups, nil
}

func decodeProcesses(body []byte, version int) ([]Process, error) {
	var out []Process
	c := cursor{b: body}
	for c.left() >= 4 {
		start := c.off
		var subLen int
		if version >= 9 {
			subLen = int(c.u32("process entry length"))
		}
		p := Process{SID: -1, VPGID: -1, VTID: -1, VPID: -1, PGID: -1, LoginUID: ^uint32(0)}
		p.TID = c.u64("tid")
		p.PID = c.u64("pid")
		p.PTID = c.u64("ptid")
		if version >= 6 {
			p.SID = int64(c.u64("sid"))
		}
		if version >= 8 {
			p.VPGID = int64(c.u64("vpgid"))
		}
		p.Comm = c.str("comm")
		p.Exe = c.str("exe")
		if version >= 7 {
			p.ExePath = c.str("exepath")
		}
		p.Args = c.list("args")
		p.Cwd = c.str("cwd")
		p.FDLimit = c.u64("fdlimit")
		p.Flags = c.u32("flags")
		p.UID = c.u32("uid")
		p.GID = c.u32("gid")
		if version >= 2 {
			p.VMSizeKB = c.u32("vmsize")
			p.VMRSSKB = c.u32("vmrss")
			p.VMSwapKB = c.u32("vmswap")
			p.PageFaultsMaj = c.u64("pfmajor")
			p.PageFaultsMin = c.u64("pfminor")
			if version >= 3 {
				p.Env = c.list("env")
			}
			if version >= 4 {
				p.VTID = int64(c.u64("vtid"))
				p.VPID = int64(c.u64("vpid"))
				p.Cgroups = c.list("cgroups")
			}
			if version >= 5 {
				p.Root = c.str("root")
			}
		}
		if c.err != nil {
			return out, fmt.Errorf("process list V%d: entry at offset %d: %w", version, start, c.err)
		}
		if version >= 9 {
			if err := decodeProcessTail(&c, &p, start, subLen); err != nil {
				return out, fmt.Errorf("process list V9: entry at offset %d: %w", start, err)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// decodeProcessTail reads the optional V9 fields that fit in the entry's
// length and skips what follows them.
func decodeProcessTail(c *cursor, p *Process, start, subLen int) error {
	end := start + subLen
	if subLen < c.off-start {
		return fmt.Errorf("fields use %d bytes, entry length says %d", c.off-start, subLen)
	}
	if !c.need(end-c.off, "process entry") {
		return c.err
	}
	fits := func(n int) bool { return c.off+n <= end }
	// Producers before libs 0.10 wrote neither pidns_init_start_ts nor tty.
	if end-c.off > 29 {
		if fits(8) {
			p.PidnsInitStartTS = c.u64("pidns_init_start_ts")
		}
		if fits(4) {
			p.TTY = c.u32("tty")
		}
	}
	if fits(4) {
		p.LoginUID = c.u32("loginuid")
	}
	if fits(1) {
		p.ExeWritable = c.u8("exe_writable") != 0
	}
	if fits(8) {
		p.CapInheritable = c.u64("cap_inheritable")
	}
	if fits(8) {
		p.CapPermitted = c.u64("cap_permitted")
	}
	if fits(8) {
		p.CapEffective = c.u64("cap_effective")
	}
	if fits(1) {
		p.ExeUpperLayer = c.u8("exe_upper_layer") != 0
	}
	if fits(8) {
		p.ExeIno = c.u64("exe_ino")
	}
	if fits(8) {
		p.ExeInoCtime = c.u64("exe_ino_ctime")
	}
	if fits(8) {
		p.ExeInoMtime = c.u64("exe_ino_mtime")
	}
	if fits(1) {
		p.ExeFromMemfd = c.u8("exe_from_memfd") != 0
	}
	if fits(1) {
		p.ExeLowerLayer = c.u8("exe_lower_layer") != 0
	}
	if fits(8) {
		p.PGID = int64(c.u64("pgid"))
	}
	c.off = end
	return c.err
}

func decodeFDList(body []byte, v2 bool) (FDList, error) {
	c := cursor{b: body}
	l := FDList{TID: c.u64("fd list tid")}
	if c.err != nil {
		return l, fmt.Errorf("fd list: %w", c.err)
	}
	for c.left() >= 4 {
		start := c.off
		subLen := -1
		if v2 {
			subLen = int(c.u32("fd entry length"))
		}
		f := FD{Num: int64(c.u64("fd")), Ino: c.u64("ino"), Type: c.u8("fd type")}
		switch f.Type {
		case FDIPv4Sock:
			f.SrcIP = addr4(c.bytes(4, "source ip"))
			f.DstIP = addr4(c.bytes(4, "destination ip"))
			f.SrcPort = c.u16("source port")
			f.DstPort = c.u16("destination port")
			f.L4Proto = c.u8("l4 protocol")
		case FDIPv4ServSock:
			f.SrcIP = addr4(c.bytes(4, "ip"))
			f.SrcPort = c.u16("port")
			f.L4Proto = c.u8("l4 protocol")
		case FDIPv6Sock:
			f.SrcIP = addr16(c.bytes(16, "source ip"))
			f.DstIP = addr16(c.bytes(16, "destination ip"))
			f.SrcPort = c.u16("source port")
			f.DstPort = c.u16("destination port")
			f.L4Proto = c.u8("l4 protocol")
		case FDIPv6ServSock:
			f.SrcIP = addr16(c.bytes(16, "ip"))
			f.SrcPort = c.u16("port")
			f.L4Proto = c.u8("l4 protocol")
		case FDUnixSock:
			f.UnixSource = c.u64("unix source")
			f.UnixDest = c.u64("unix destination")
			f.Name = c.str("unix path")
		case FDFileV2:
			f.OpenFlags = c.u32("open flags")
			f.Name = c.str("file name")
			if subLen >= 0 && c.off+4 <= start+subLen {
				f.Dev = c.u32("dev")
			}
		case FDUnknown:
		default:
			if f.Type <= FDPidFD {
				f.Name = c.str("fd name")
			} else {
				// A newer producer's type: libscap reads nothing more.
				f.Name = fmt.Sprintf("unknown-type:[%d]", f.Type)
				f.Type = FDUnsupported
			}
		}
		if c.err != nil {
			return l, fmt.Errorf("fd list of tid %d: entry at offset %d: %w", l.TID, start, c.err)
		}
		if subLen >= 0 {
			used := c.off - start
			if used > subLen {
				return l, fmt.Errorf("fd list of tid %d: entry at offset %d uses %d bytes, its length says %d", l.TID, start, used, subLen)
			}
			if !c.need(subLen-used, "fd entry") {
				return l, fmt.Errorf("fd list of tid %d: %w", l.TID, c.err)
			}
			c.off = start + subLen
		}
		l.FDs = append(l.FDs, f)
	}
	return l, nil
}
