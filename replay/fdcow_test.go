package replay

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fdModel is one process's fds in the straightforward representation the
// copy-on-write tables must behave like: a full copy per process.
type fdModel map[int64]fdState

type fdState struct {
	Name  string
	Flags uint32
	Seen  int // times each visited it
}

// view returns what t holds, in the model's representation.
func view(t *FDTable) fdModel {
	m := fdModel{}
	t.each(func(f *FD) {
		m[f.Num] = fdState{Name: string(f.name), Flags: f.OpenFlags, Seen: m[f.Num].Seen + 1}
	})
	return m
}

// TestFDTableCopyOnWrite runs random forks, opens, closes, changes of an
// entry, execs, close_ranges and exits over a tree of processes, against
// full copies in a map per process, and checks after every step that every
// live table (its entries, Len, Get, and what each visits) matches its model.
func TestFDTableCopyOnWrite(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 17))
			pool := &fdPool{maxLayers: 2 + int(seed%4)}
			root := &FDTable{own: map[int64]*FD{}, free: pool}
			tables := []*FDTable{root}
			models := []fdModel{{}}
			for step := range 1200 {
				i := rng.IntN(len(tables))
				ft, m := tables[i], models[i]
				num := int64(rng.IntN(12))
				var op string
				switch r := rng.IntN(100); {
				case r < 12 && len(tables) < 40: // fork
					op = "fork"
					c := &FDTable{own: map[int64]*FD{}, free: pool}
					c.copyFrom(ft)
					cm := fdModel{}
					for k, v := range m {
						cm[k] = v
					}
					tables, models = append(tables, c), append(models, cm)
				case r < 16 && len(tables) > 1: // exit
					op = "exit"
					ft.clear()
					tables = append(tables[:i], tables[i+1:]...)
					models = append(models[:i], models[i+1:]...)
				case r < 45: // open
					op = "open"
					flags := uint32(0)
					if rng.IntN(3) == 0 {
						flags = oCLOEXEC
					}
					f := ft.add(num, FDFile)
					f.name = fmt.Appendf(f.name[:0], "/f%d.%d", num, step)
					f.OpenFlags = flags
					m[num] = fdState{Name: string(f.name), Flags: flags, Seen: 1}
				case r < 70: // close
					op = "close"
					ft.remove(num)
					delete(m, num)
				case r < 88: // fcntl(F_SETFD) on an open fd, through getFD's path
					op = "setfd"
					f := ft.writable(num)
					if _, ok := m[num]; (f != nil) != ok {
						t.Fatalf("step %d: writable(%d) = %v, model has it: %v", step, num, f, ok)
					}
					if f != nil {
						f.setCloseOnExec(rng.IntN(2) == 0)
						m[num] = fdState{Name: string(f.name), Flags: f.OpenFlags, Seen: 1}
					}
				case r < 96: // execve
					op = "exec"
					ft.purgeCloseOnExec()
					for k, v := range m {
						if v.Flags&oCLOEXEC != 0 {
							delete(m, k)
						}
					}
				default: // close_range(num, num+3, 0 or CLOSE_RANGE_CLOEXEC)
					op = "close_range"
					flags := uint32(0)
					if rng.IntN(2) == 0 {
						flags = closeRangeCLOEXEC
					}
					ft.closeRange(uint32(num), uint32(num+3), flags)
					for k, v := range m {
						switch {
						case k < num || k > num+3:
						case flags != 0:
							v.Flags |= oCLOEXEC
							m[k] = v
						default:
							delete(m, k)
						}
					}
				}
				for j, tt := range tables {
					if diff := cmp.Diff(models[j], view(tt)); diff != "" {
						t.Fatalf("step %d (%s on table %d): table %d differs (-want +got):\n%s", step, op, i, j, diff)
					}
					if tt.Len() != len(models[j]) {
						t.Fatalf("step %d (%s): table %d Len = %d, want %d", step, op, j, tt.Len(), len(models[j]))
					}
					for k := range int64(12) {
						if _, ok := tt.Get(k); ok != (models[j][k] != fdState{}) {
							t.Fatalf("step %d (%s): table %d Get(%d) = %v", step, op, j, k, ok)
						}
					}
				}
			}
		})
	}
}

// BenchmarkFDTableFork is the fork of a shell holding 300 fds whose child
// redirects a descriptor (open, dup2, close), reads stdin, execs and exits:
// the fd-table work of one short command of a recorded workload.
func BenchmarkFDTableFork(b *testing.B) {
	pool := &fdPool{}
	parent := &FDTable{own: map[int64]*FD{}, free: pool}
	for k := range int64(300) {
		f := parent.add(k, FDFile)
		f.name = fmt.Appendf(f.name, "anon_inode:[perf_event]%d", k)
	}
	child := &FDTable{own: map[int64]*FD{}, free: pool}
	b.ReportAllocs()
	for b.Loop() {
		child.copyFrom(parent)
		f := child.add(301, FDFile)
		f.name = append(f.name[:0], "/dev/null"...)
		child.writable(301)
		child.add(1, FDFile)
		child.remove(301)
		child.writable(0)
		child.purgeCloseOnExec()
		child.clear()
	}
}
