package rulestest

import (
	"os"
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

// TestFieldListCopy checks that the committed field list is the one in
// ../shared/reference (copy it again when the reference changes).
func TestFieldListCopy(t *testing.T) {
	ref, err := os.ReadFile(testutil.SharedFile(t, "reference", "sinsp-fields.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if string(ref) != sinspFields {
		t.Error("rules/rulestest/sinsp-fields.tsv differs from ../shared/reference/sinsp-fields.tsv: copy it again")
	}
}

func TestRegistry(t *testing.T) {
	reg := Registry(t)
	fromFile, err := NewRegistry("sinsp-fields.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(reg.Fields()), len(fromFile.Fields()); n != m || n < 200 {
		t.Errorf("registry has %d fields, %d read from the file; want the same, over 200", n, m)
	}
	for _, name := range []string{"proc.name", "evt.type", "fd.name", "container.image.repository", "k8s.ns.name"} {
		if _, ok := reg.Info(name); !ok {
			t.Errorf("field %s is not in the registry", name)
		}
		if _, ok := fromFile.Info(name); !ok {
			t.Errorf("field %s is not in the registry read from the file", name)
		}
	}
}
