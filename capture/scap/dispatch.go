package scap

import "encoding/binary"

// EventTypeIndex maps evt.type names to dense dispatch ids for the rule
// engine: ids 0..NumTypes-1 are event codes, NumTypes+k is the generic
// syscall event whose ID parameter is ppm_sc code k. The zero value is
// ready to use and holds no state.
type EventTypeIndex struct{}

// Count returns the number of dispatch ids (NumTypes + NumSyscalls).
func (EventTypeIndex) Count() int { return NumTypes + NumSyscalls }

// IDs returns every dispatch id whose evt.type is name: enter and exit
// codes of every version, plus the generic syscall id of that name. It
// returns nil for a name nothing produces.
func (EventTypeIndex) IDs(name string) []int {
	var ids []int
	for i := range eventTable {
		if eventTable[i].Name == name && eventTable[i].Flags&EFUnused == 0 {
			ids = append(ids, i)
		}
	}
	for k := 0; k < NumSyscalls; k++ {
		if syscallNames[k] == name {
			ids = append(ids, NumTypes+k)
		}
	}
	return ids
}

// Name returns the evt.type of dispatch id, or "" when id is out of range.
func (EventTypeIndex) Name(id int) string {
	switch {
	case id >= 0 && id < NumTypes:
		return eventTable[id].Name
	case id >= NumTypes && id < NumTypes+NumSyscalls:
		return syscallNames[id-NumTypes]
	}
	return ""
}

// IsGeneric reports whether t is a generic syscall event (PPME_GENERIC_E/X),
// whose evt.type comes from its ID parameter.
func IsGeneric(t Type) bool { return t == GenericE || t == GenericX }

// syscallID returns the ppm_sc code of a generic event, ok false when the
// event is not generic or lacks a well-formed ID parameter. An ID of 0
// (PPM_SC_UNKNOWN) with a nativeID gives the code of that x86_64 syscall,
// as libsinsp reads a capture (docs/FORMAT.md, Event profile, rule 5).
func (e *Event) syscallID() (uint16, bool) {
	if !IsGeneric(e.typ) {
		return 0, false
	}
	p := e.Param(0)
	if len(p) != 2 {
		return 0, false
	}
	id := binary.LittleEndian.Uint16(p)
	if id == 0 && e.NumParams() > 1 {
		if n := e.Param(1); len(n) == 2 {
			if native, ok := NativeSyscallID(binary.LittleEndian.Uint16(n)); ok {
				return native, true
			}
		}
	}
	return id, true
}

// DispatchID returns the event's dispatch id (see EventTypeIndex): the
// event code, or NumTypes+ID for a generic syscall event with a known ID.
func (e *Event) DispatchID() int {
	if id, ok := e.syscallID(); ok && int(id) < NumSyscalls {
		return NumTypes + int(id)
	}
	return int(e.typ)
}

// TypeName returns the event's evt.type as libsinsp names it: the syscall
// name for a generic event, the table name otherwise ("" for a code outside
// the table).
func (e *Event) TypeName() string {
	if id, ok := e.syscallID(); ok {
		if n := SyscallName(id); n != "" {
			return n
		}
	}
	if e.info == nil {
		return ""
	}
	return e.info.Name
}

// sysdig029SyscallNames are the ppm_sc codes whose names in sysdig 0.29.3
// (libs 0.7 syscall_info_table.c) differ from current libs' names.
var sysdig029SyscallNames = map[uint16]string{
	0: "<unknown>", 283: "newselect", 292: "llseek", 298: "sigreturn",
	305: "setuid", 306: "getuid", 307: "setgid", 308: "geteuid", 309: "getgid",
	310: "setresuid", 311: "setresgid", 312: "getresuid", 313: "getresgid",
}

// Sysdig029NumSyscalls is the size of sysdig 0.29.3's syscall table: it
// knows the ppm_sc codes below it and crashes on a generic event whose ID is
// not (docs/COMPATIBILITY.md row SCAP-GENERIC-UNKNOWN-029), so the recorder
// writes ID 0 for the others.
const Sysdig029NumSyscalls = 333

// SyscallNameSysdig029 returns the name sysdig 0.29.3 prints as evt.type of
// a generic event with ppm_sc code id (for cross-checks; docs/COMPATIBILITY.md
// row SCAP-GENERIC-NAMES-029). Codes it did not know (333 and up) return "".
func SyscallNameSysdig029(id uint16) string {
	if n, ok := sysdig029SyscallNames[id]; ok {
		return n
	}
	if id >= Sysdig029NumSyscalls {
		return ""
	}
	return SyscallName(id)
}

// Sysdig029NumTypes is the size of sysdig 0.29.3's event table: it skips
// events with codes from here up silently (measured with crafted captures;
// docs/COMPATIBILITY.md row SCAP-UNKNOWN-029). Cross-checks against it
// leave those events out.
const Sysdig029NumTypes = 336
