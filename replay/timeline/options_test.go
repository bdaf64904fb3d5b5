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
