package timeline

import (
	"slices"
	"strings"
	"testing"
)

func TestOptionsPaths(t *testing.T) {
	for _, tc := range []struct {
		view  string
		paths []string
		want  []string
		err   string
	}{
		{ViewSensitiveReads, []string{"/srv/keys/", "/etc/app.conf"}, []string{"/srv/keys", "/etc/app.conf"}, ""},
		{ViewBinaryWrites, []string{"/opt/bin"}, []string{"/opt/bin"}, ""},
		{ViewSensitiveReads, []string{"etc/x"}, nil, "want an absolute path"},
		{ViewTree, []string{"/etc"}, nil, "--path applies to the sensitive-reads and binary-writes views"},
		{ViewTree, nil, []string{}, ""},
	} {
		o := Options{View: tc.view, Paths: tc.paths}
		err := o.cleanPaths([]string{tc.view})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %v: error %v, want %q", tc.view, tc.paths, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(o.Paths, tc.want) {
			t.Errorf("%s %v: %v, %v; want %v", tc.view, tc.paths, o.Paths, err, tc.want)
		}
	}
}

func TestParseReportViews(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  []string
		err   string
	}{
		{[]string{"none"}, nil, ""},
		{[]string{ViewFiles, ViewIO}, []string{ViewFiles, ViewIO}, ""},
		{[]string{ViewTree}, nil, "the process tree is the report's own tab"},
		{[]string{"conections"}, nil, `did you mean "connections"`},
	} {
		got, err := ParseReportViews(tc.names)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.names, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, %v; want %v", tc.names, got, err, tc.want)
		}
	}
	for _, v := range ReportViews() {
		if _, err := ParseReportViews([]string{v}); err != nil {
			t.Errorf("default view %s refused: %v", v, err)
		}
	}
}
