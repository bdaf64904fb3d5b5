//go:build linux

package hostsnap

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/retrace-dev/retrace/capture"
	"golang.org/x/sys/unix"
)

// Options configures [Take].
type Options struct {
	// Proc is the procfs mount point; empty means /proc.
	Proc string
	// Etc is where passwd and group live; empty means /etc.
	Etc string
	// BootTime is the boot time in ns since the epoch (see [BootTime]).
	BootTime uint64
	// NoEnv leaves process environments out of the snapshot.
	NoEnv bool
	// SkipPID is a process left out (the recorder itself); 0 keeps all.
	SkipPID int
	// OnlyPID, when not 0, limits the process and fd lists to this
	// process and its threads.
	OnlyPID int
	// InheritablePID, when not 0, is a process whose fd list keeps only
	// the fds an execve keeps (no O_CLOEXEC): the recorder, whose own fds
	// (BPF maps and programs, the ring buffer, the capture file) the
	// commands it starts never hold, although replay would otherwise give
	// them to every process it forks.
	InheritablePID int
}

// BootTime returns the host's boot time in ns since the epoch, computed
// from CLOCK_REALTIME minus CLOCK_BOOTTIME (the clock of BPF event
// timestamps).
func BootTime() (uint64, error) {
	var rt, bt unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &bt); err != nil {
		return 0, fmt.Errorf("read boot clock: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &rt); err != nil {
		return 0, fmt.Errorf("read real-time clock: %w", err)
	}
	return uint64(rt.Nano() - bt.Nano()), nil
}

// Take reads the snapshot. Processes that exit while it runs are skipped;
// it fails only when /proc itself cannot be read.
func Take(opts Options) (*capture.Header, error) {
	if opts.Proc == "" {
		opts.Proc = "/proc"
	}
	if opts.Etc == "" {
		opts.Etc = "/etc"
	}
	h := &capture.Header{}
	mi, err := machineInfo(opts)
	if err != nil {
		return nil, err
	}
	h.Machine = mi
	h.Interfaces = interfaces()
	h.Users, h.Groups = users(opts.Etc)
	procs, fds, err := processes(opts)
	if err != nil {
		return nil, err
	}
	h.Processes = procs
	h.FDs = fds
	return h, nil
}

func machineInfo(opts Options) (*capture.MachineInfo, error) {
	host, _ := os.Hostname()
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return nil, fmt.Errorf("read sysinfo: %w", err)
	}
	maxPID := uint64(0)
	if b, err := os.ReadFile(filepath.Join(opts.Proc, "sys/kernel/pid_max")); err == nil {
		maxPID, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
	ncpu, _ := onlineCPUs()
	return &capture.MachineInfo{
		NumCPUs:     uint32(ncpu),
		MemoryBytes: uint64(si.Totalram) * uint64(si.Unit),
		MaxPID:      maxPID,
		Hostname:    host,
		BootTime:    opts.BootTime,
	}, nil
}

func onlineCPUs() (int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0, err
	}
	return set.Count(), nil
}

// interfaces lists the IPv4 and IPv6 addresses of every interface.
func interfaces() []capture.Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []capture.Interface
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			mask, _ := netip.AddrFromSlice(net.IP(ipn.Mask))
			e := capture.Interface{Name: ifc.Name, Addr: ip.Unmap(), Netmask: mask.Unmap()}
			if ip.Unmap().Is4() {
				e.Type = capture.InterfaceIPv4NoLinkSpeed
				m4 := mask.Unmap().As4()
				a4 := ip.Unmap().As4()
				var b4 [4]byte
				for i := range b4 {
					b4[i] = a4[i] | ^m4[i]
				}
				e.Broadcast = netip.AddrFrom4(b4)
			} else {
				e.Type = capture.InterfaceIPv6NoLinkSpeed
				e.Broadcast = netip.IPv6Unspecified()
				if !e.Netmask.IsValid() || e.Netmask.Is4() {
					e.Netmask = netip.IPv6Unspecified()
				}
			}
			out = append(out, e)
		}
	}
	return out
}

// users reads passwd and group files; missing files give empty lists.
func users(etc string) ([]capture.User, []capture.Group) {
	var us []capture.User
	var gs []capture.Group
	eachLine(filepath.Join(etc, "passwd"), func(f []string) {
		if len(f) < 7 {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return
		}
		us = append(us, capture.User{UID: uint32(uid), GID: uint32(gid), Name: f[0], HomeDir: f[5], Shell: f[6]})
	})
	eachLine(filepath.Join(etc, "group"), func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return
		}
		gs = append(gs, capture.Group{GID: uint32(gid), Name: f[0]})
	})
	return us, gs
}

func eachLine(path string, fn func([]string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}

// splitNul splits a NUL-separated list (cmdline, environ), dropping the
// trailing empty element.
func splitNul(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}
