package capture

import (
	"encoding/binary"
	"net/netip"
)

// AppendMachineInfo appends a machine info block (MI) to dst.
func AppendMachineInfo(dst []byte, m *MachineInfo) []byte {
	var b [machineInfoLen]byte
	binary.LittleEndian.PutUint32(b[0:], m.NumCPUs)
	binary.LittleEndian.PutUint64(b[4:], m.MemoryBytes)
	binary.LittleEndian.PutUint64(b[12:], m.MaxPID)
	copy(b[20:147], m.Hostname) // keep a terminating NUL
	binary.LittleEndian.PutUint64(b[148:], m.BootTime)
	binary.LittleEndian.PutUint64(b[156:], m.Flags)
	return appendBlock(dst, BlockMI, b[:])
}

func appendAddr(dst []byte, a netip.Addr, n int) []byte {
	var zero [16]byte
	if !a.IsValid() {
		return append(dst, zero[:n]...)
	}
	if n == 4 {
		v := a.Unmap().As4()
		return append(dst, v[:]...)
	}
	v := a.As16()
	return append(dst, v[:]...)
}

// AppendInterfaces appends an interface list block (IL_V2) to dst.
func AppendInterfaces(dst []byte, ifs []Interface) []byte {
	dst, start := beginBlock(dst, BlockILV2)
	for _, it := range ifs {
		lenAt := len(dst)
		dst = binary.LittleEndian.AppendUint32(dst, 0)
		name := it.Name
		if len(name) > 0xFFFF {
			name = name[:0xFFFF]
		}
		dst = binary.LittleEndian.AppendUint16(dst, it.Type)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(name)))
		n := 4
		if it.Type == InterfaceIPv6 || it.Type == InterfaceIPv6NoLinkSpeed {
			n = 16
		}
		dst = appendAddr(dst, it.Addr, n)
		dst = appendAddr(dst, it.Netmask, n)
		dst = appendAddr(dst, it.Broadcast, n)
		if it.Type == InterfaceIPv4 || it.Type == InterfaceIPv6 {
			dst = binary.LittleEndian.AppendUint64(dst, it.LinkSpeed)
		}
		dst = append(dst, name...)
		binary.LittleEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt-4))
	}
	return endBlock(dst, start)
}

// AppendUsers appends a user list block (UL_V2) with users and groups to dst.
func AppendUsers(dst []byte, users []User, groups []Group) []byte {
	dst, start := beginBlock(dst, BlockULV2)
	for _, u := range users {
		lenAt := len(dst)
		dst = binary.LittleEndian.AppendUint32(dst, 0)
		dst = append(dst, 0)
		dst = binary.LittleEndian.AppendUint32(dst, u.UID)
		dst = binary.LittleEndian.AppendUint32(dst, u.GID)
		dst = appendStr(dst, u.Name)
		dst = appendStr(dst, u.HomeDir)
		dst = appendStr(dst, u.Shell)
		binary.LittleEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt))
	}
	for _, g := range groups {
		lenAt := len(dst)
		dst = binary.LittleEndian.AppendUint32(dst, 0)
		dst = append(dst, 1)
		dst = binary.LittleEndian.AppendUint32(dst, g.GID)
		dst = appendStr(dst, g.Name)
		binary.LittleEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt))
	}
	return endBlock(dst, start)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// maxListBlock is the size at which AppendProcesses starts a new block, so
// that a big host's snapshot stays well within MaxBlockSize.
const maxListBlock = 1 << 20

// AppendProcesses appends process list blocks (PL_V9, every field) to dst:
// one block, or several of about 1 MiB for a big snapshot (readers append
// the entries of every process list block).
func AppendProcesses(dst []byte, ps []Process) []byte {
	dst, start := beginBlock(dst, BlockPLV9)
	le := binary.LittleEndian
	for i := range ps {
		if len(dst)-start > maxListBlock {
			dst = endBlock(dst, start)
			dst, start = beginBlock(dst, BlockPLV9)
		}
		p := &ps[i]
		lenAt := len(dst)
		dst = le.AppendUint32(dst, 0)
		dst = le.AppendUint64(dst, p.TID)
		dst = le.AppendUint64(dst, p.PID)
		dst = le.AppendUint64(dst, p.PTID)
		dst = le.AppendUint64(dst, uint64(p.SID))
		dst = le.AppendUint64(dst, uint64(p.VPGID))
		dst = appendStr(dst, p.Comm)
		dst = appendStr(dst, p.Exe)
		dst = appendStr(dst, p.ExePath)
		dst = appendList(dst, p.Args)
		dst = appendStr(dst, p.Cwd)
		dst = le.AppendUint64(dst, p.FDLimit)
		dst = le.AppendUint32(dst, p.Flags)
		dst = le.AppendUint32(dst, p.UID)
		dst = le.AppendUint32(dst, p.GID)
		dst = le.AppendUint32(dst, p.VMSizeKB)
		dst = le.AppendUint32(dst, p.VMRSSKB)
		dst = le.AppendUint32(dst, p.VMSwapKB)
		dst = le.AppendUint64(dst, p.PageFaultsMaj)
		dst = le.AppendUint64(dst, p.PageFaultsMin)
		dst = appendList(dst, p.Env)
		dst = le.AppendUint64(dst, uint64(p.VTID))
		dst = le.AppendUint64(dst, uint64(p.VPID))
		dst = appendList(dst, p.Cgroups)
		dst = appendStr(dst, p.Root)
		dst = le.AppendUint64(dst, p.PidnsInitStartTS)
		dst = le.AppendUint32(dst, p.TTY)
		dst = le.AppendUint32(dst, p.LoginUID)
		dst = append(dst, boolByte(p.ExeWritable))
		dst = le.AppendUint64(dst, p.CapInheritable)
		dst = le.AppendUint64(dst, p.CapPermitted)
		dst = le.AppendUint64(dst, p.CapEffective)
		dst = append(dst, boolByte(p.ExeUpperLayer))
		dst = le.AppendUint64(dst, p.ExeIno)
		dst = le.AppendUint64(dst, p.ExeInoCtime)
		dst = le.AppendUint64(dst, p.ExeInoMtime)
		dst = append(dst, boolByte(p.ExeFromMemfd), boolByte(p.ExeLowerLayer))
		dst = le.AppendUint64(dst, uint64(p.PGID))
		le.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt))
	}
	return endBlock(dst, start)
}

// AppendFDList appends an fd list block (FDL_V2) for one thread to dst.
func AppendFDList(dst []byte, l FDList) []byte {
	dst, start := beginBlock(dst, BlockFDLV2)
	le := binary.LittleEndian
	dst = le.AppendUint64(dst, l.TID)
	for _, f := range l.FDs {
		lenAt := len(dst)
		dst = le.AppendUint32(dst, 0)
		dst = le.AppendUint64(dst, uint64(f.Num))
		dst = le.AppendUint64(dst, f.Ino)
		dst = append(dst, f.Type)
		switch f.Type {
		case FDIPv4Sock:
			dst = appendAddr(dst, f.SrcIP, 4)
			dst = appendAddr(dst, f.DstIP, 4)
			dst = le.AppendUint16(dst, f.SrcPort)
			dst = le.AppendUint16(dst, f.DstPort)
			dst = append(dst, f.L4Proto)
		case FDIPv4ServSock:
			dst = appendAddr(dst, f.SrcIP, 4)
			dst = le.AppendUint16(dst, f.SrcPort)
			dst = append(dst, f.L4Proto)
		case FDIPv6Sock:
			dst = appendAddr(dst, f.SrcIP, 16)
			dst = appendAddr(dst, f.DstIP, 16)
			dst = le.AppendUint16(dst, f.SrcPort)
			dst = le.AppendUint16(dst, f.DstPort)
			dst = append(dst, f.L4Proto)
		case FDIPv6ServSock:
			dst = appendAddr(dst, f.SrcIP, 16)
			dst = le.AppendUint16(dst, f.SrcPort)
			dst = append(dst, f.L4Proto)
		case FDUnixSock:
			dst = le.AppendUint64(dst, f.UnixSource)
			dst = le.AppendUint64(dst, f.UnixDest)
			dst = appendStr(dst, f.Name)
		case FDFileV2:
			dst = le.AppendUint32(dst, f.OpenFlags)
			dst = appendStr(dst, f.Name)
			dst = le.AppendUint32(dst, f.Dev)
		case FDUnknown:
		default:
			dst = appendStr(dst, f.Name)
		}
		le.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt))
	}
	return endBlock(dst, start)
}

// AppendHeader appends a section header block and the header blocks of h:
// MI, IL_V2, UL_V2, PL_V9 and one FDL_V2 per thread, in the current libscap
// writer's order. Empty parts are left out.
func AppendHeader(dst []byte, h *Header) []byte {
	dst = AppendSectionHeader(dst)
	if h.Machine != nil {
		dst = AppendMachineInfo(dst, h.Machine)
	}
	if len(h.Interfaces) > 0 {
		dst = AppendInterfaces(dst, h.Interfaces)
	}
	if len(h.Users) > 0 || len(h.Groups) > 0 {
		dst = AppendUsers(dst, h.Users, h.Groups)
	}
	if len(h.Processes) > 0 {
		dst = AppendProcesses(dst, h.Processes)
	}
	for _, l := range h.FDs {
		dst = AppendFDList(dst, l)
	}
	return dst
}
