package replay

import (
	"fmt"

	"github.com/retrace-dev/retrace/capture/scap"
)

// ppmFlag returns the value of name in the scap flag/enum table called
// table (libs' flags_table.c), so the state follows the driver's numbering
// instead of repeating it. The tables are compiled in; a missing entry is a
// programming error caught by the package's tests.
func ppmFlag(table, name string) uint32 {
	tab, ok := scap.FlagTable(table)
	if ok {
		for _, nv := range tab {
			if nv.Name == name {
				return nv.Value
			}
		}
	}
	panic(fmt.Sprintf("replay: no %s in scap flag table %s", name, table))
}

// PPM_O_* open flags (file_flags), as the driver encodes them in open,
// socket, pipe2, accept4 and dup3 events and the fd-list block.
var (
	oRDONLY    = ppmFlag("file_flags", "O_RDONLY")
	oWRONLY    = ppmFlag("file_flags", "O_WRONLY")
	oCREAT     = ppmFlag("file_flags", "O_CREAT")
	oDIRECTORY = ppmFlag("file_flags", "O_DIRECTORY")
	oCLOEXEC   = ppmFlag("file_flags", "O_CLOEXEC")
	oTMPFILE   = ppmFlag("file_flags", "O_TMPFILE")
	oFCreated  = ppmFlag("file_flags", "O_F_CREATED")
	fdUpper    = ppmFlag("file_flags", "FD_UPPER_LAYER")
	fdLower    = ppmFlag("file_flags", "FD_LOWER_LAYER")
)

// Close-on-exec flags of the other fd-creating syscalls.
var (
	epollCLOEXEC      = ppmFlag("epoll_create1_flags", "EPOLL_CLOEXEC")
	mfdCLOEXEC        = ppmFlag("memfd_create_flags", "MFD_CLOEXEC")
	closeRangeCLOEXEC = ppmFlag("close_range_flags", "CLOSE_RANGE_CLOEXEC")
)

// fcntl commands (PPM_FCNTL_*) the state follows.
var (
	fcntlDupFD        = ppmFlag("fcntl_commands", "F_DUPFD")
	fcntlDupFDCloexec = ppmFlag("fcntl_commands", "F_DUPFD_CLOEXEC")
	fcntlSetFD        = ppmFlag("fcntl_commands", "F_SETFD")
)

// fdCloexec is FD_CLOEXEC, the bit F_SETFD's argument carries; the driver
// passes the argument through unconverted.
const fdCloexec = 1

// Clone flags (PPM_CL_*) the state uses.
var (
	clCloneThread  = ppmFlag("clone_flags", "CLONE_THREAD")
	clChildInPidNS = ppmFlag("clone_flags", "CLONE_CHILD_IN_PIDNS")
)

// Execve flags (PPM_EXE_*).
var (
	exeWritable   = ppmFlag("execve_flags", "EXE_WRITABLE")
	exeUpperLayer = ppmFlag("execve_flags", "EXE_UPPER_LAYER")
	exeFromMemfd  = ppmFlag("execve_flags", "EXE_FROM_MEMFD")
	exeLowerLayer = ppmFlag("execve_flags", "EXE_LOWER_LAYER")
)

// Socket families (PPM_AF_*), one byte in socket addresses and tuples.
var (
	afUnix    = uint8(ppmFlag("socket_families", "AF_UNIX"))
	afInet    = uint8(ppmFlag("socket_families", "AF_INET"))
	afInet6   = uint8(ppmFlag("socket_families", "AF_INET6"))
	afNetlink = uint8(ppmFlag("socket_families", "AF_NETLINK"))
)
