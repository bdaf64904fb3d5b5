package describe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retrace-dev/retrace/engine/enginetest"
	"github.com/retrace-dev/retrace/internal/hostile"
	"github.com/retrace-dev/retrace/internal/testutil"
	"github.com/retrace-dev/retrace/rules"
)

func loadRule(t *testing.T, data []byte, name string) *rules.Rule {
	t.Helper()
	set, err := rules.LoadFiles([]rules.File{{Name: "r.yaml", Data: data}},
		rules.Options{Fields: enginetest.NewRegistry(enginetest.DefaultFields), EventTypes: enginetest.Default()})
	if err != nil {
		t.Fatal(err)
	}
	r := set.Rule(name)
	if r == nil {
		t.Fatalf("no rule %q", name)
	}
	return r
}

// TestShowSharedMacros shows a rule whose macros each use the one before
// twice (hostile.SharedMacros): expanded at every use its condition would
// be 2^depth copies; show prints each macro once instead, in linear time
// and size, and still expands small conditions in full.
func TestShowSharedMacros(t *testing.T) {
	const depth = 18
	start := testutil.CPUTime()
	r := loadRule(t, hostile.SharedMacros(depth), "Shared macros")
	var text, js bytes.Buffer
	if err := Show(&text, r, false); err != nil {
		t.Fatal(err)
	}
	if err := Show(&js, r, true); err != nil {
		t.Fatal(err)
	}
	cpu := testutil.CPUTime() - start
	limit := 2 * time.Second
	if testutil.RaceEnabled {
		limit = 20 * time.Second
	}
	if cpu > limit {
		t.Errorf("load and show took %v of CPU time, want under %v", cpu, limit)
	}
	out := text.String()
	if text.Len() > 16<<10 || js.Len() > 16<<10 {
		t.Errorf("show printed %d bytes of text and %d of JSON, want each macro once (under 16 KiB)", text.Len(), js.Len())
	}
	if !strings.Contains(out, "  (evt.type = execve and m18)\n  where (expanded at every use it would pass 1 MiB, so each macro is shown once):\n    m18 = (m17 or m17)\n") {
		t.Errorf("show:\n%s", out)
	}
	for i := 0; i <= depth; i++ {
		if n := strings.Count(out, fmt.Sprintf("\n    m%d = ", i)); n != 1 {
			t.Errorf("m%d defined %d times, want once", i, n)
		}
	}
	var j Rule
	if err := json.Unmarshal(js.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j.Expanded != "(evt.type = execve and m18)" || len(j.Macros) != depth+1 || j.Macros[depth] != (Macro{"m0", "proc.name = sh"}) {
		t.Errorf("JSON: expanded %q, macros %v", j.Expanded, j.Macros)
	}

	// A small tree is expanded in full.
	small := loadRule(t, hostile.SharedMacros(2), "Shared macros")
	x := small.Expansion()
	want := "(evt.type = execve and ((proc.name = sh or proc.name = sh) or (proc.name = sh or proc.name = sh)))"
	if x.Text != want || len(x.Macros) != 0 || x.Text != small.Expanded() {
		t.Errorf("small expansion: %+v\nwant %q", x, want)
	}
	// Under a tiny bound the same tree prints by reference.
	x = rules.ExpandBounded(small.Root(), 20)
	if x.Text != "(evt.type = execve and m2)" || len(x.Macros) != 3 || x.Macros[0] != (rules.MacroText{Name: "m2", Text: "(m1 or m1)"}) {
		t.Errorf("bounded expansion: %+v", x)
	}
}
