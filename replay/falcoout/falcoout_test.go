package falcoout

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/retrace-dev/retrace/replay/report"
)

func TestLoadOverrides(t *testing.T) {
	for _, tc := range []struct {
		name       string
		overrides  []string
		lineFormat report.Format
		discard    bool
		filterErr  bool
		flushEach  bool
	}{
		{"defaults", nil, report.FormatText, false, false, false},
		{"json", []string{"json_output=true"}, report.FormatJSON, false, false, false},
		{"no stdout", []string{"stdout_output.enabled=false"}, report.FormatText, true, false, false},
		{"file output", []string{"file_output.enabled=true", "file_output.filename=/dev/null"}, report.FormatText, false, true, false},
		{"unbuffered", []string{"buffered_outputs=false"}, report.FormatText, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Load("", tc.overrides)
			if err != nil {
				t.Fatal(err)
			}
			if o.LineFormat != tc.lineFormat {
				t.Errorf("LineFormat = %s, want %s", o.LineFormat, tc.lineFormat)
			}
			if got := o.Stdout(os.Stdout) == io.Discard; got != tc.discard {
				t.Errorf("stdout discarded = %t, want %t", got, tc.discard)
			}
			if got := o.CheckFilter("evt.type=open") != nil; got != tc.filterErr {
				t.Errorf("CheckFilter error = %t, want %t", got, tc.filterErr)
			}
			if got := o.FlushEach(); got != tc.flushEach {
				t.Errorf("FlushEach = %t, want %t", got, tc.flushEach)
			}
		})
	}
}

func TestNilOutputsChangeNothing(t *testing.T) {
	var o *Outputs
	if o.Stdout(os.Stdout) != os.Stdout || o.FlushEach() || o.CheckFilter("x") != nil {
		t.Error("a nil Outputs changed the replay")
	}
	opts := report.Options{Width: 7}
	if got := o.ReportOptions(opts); got.Width != 7 {
		t.Errorf("ReportOptions = %+v", got)
	}
	if err := o.Close(t.Context(), io.Discard, false); err != nil {
		t.Error(err)
	}
}

func TestUnknownKeyIsAWarning(t *testing.T) {
	o, err := Load("", []string{"json_outptu=true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "json_output") {
		t.Errorf("Warnings = %q, want one naming json_output", o.Warnings)
	}
}
