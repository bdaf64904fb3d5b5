package suite

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/retrace-dev/retrace/engine/enginetest"
)

// checkSuite is a suite whose expectations name rules and fields with
// typos, to be checked against the rules "Read Sensitive File" and
// "Terminal Shell in Container".
const checkSuite = `cases:
  - name: typos
    capture: c.scap
    options:
      disable: [curl, Shell]
    expect:
      counts:
        Read Sensitive Fil: 1
      absent: [Terminal shell in container]
      alerts:
        - rule: Read Sensitive File
          fields:
            proc.name: cat
`

func TestCheckRuleNames(t *testing.T) {
	s, err := Parse([]byte(checkSuite), "s.yaml", ParseOptions{Fields: enginetest.NewRegistry(enginetest.DefaultFields)})
	if err != nil {
		t.Fatal(err)
	}
	errs := s.Cases[0].CheckRuleNames([]string{"Read Sensitive File", "Terminal Shell in Container"})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`s.yaml:8:9: case "typos": counts: no rule named "Read Sensitive Fil" in the case's rules (did you mean "Read Sensitive File"?)`,
		`s.yaml:9:16: case "typos": absent: no rule named "Terminal shell in container" in the case's rules (did you mean "Terminal Shell in Container"?)`,
		`s.yaml:2:5: case "typos": options.disable: "curl" is in no rule's name`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestUnknownAlertField(t *testing.T) {
	text := strings.Replace(checkSuite, "proc.name: cat", "proc.nme: cat", 1)
	_, err := Parse([]byte(text), "s.yaml", ParseOptions{Fields: enginetest.NewRegistry(enginetest.DefaultFields)})
	want := `s.yaml:13:13: case "typos".expect.alerts[0].fields: unknown field "proc.nme" (did you mean "proc.name" or "proc.aname" or "proc.pname"?)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if _, err := Parse([]byte(text), "s.yaml", ParseOptions{}); err != nil {
		t.Errorf("without a registry the field is not checked: %v", err)
	}
}
