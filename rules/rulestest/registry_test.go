package rulestest

import (
	"testing"

	"github.com/retrace-dev/retrace/internal/testutil"
)

func TestRegistry(t *testing.T) {
	reg := Registry(t)
	fromFile, err := NewRegistry(testutil.SharedFile(t, "reference", "sinsp-fields.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(reg.Fields()), len(fromFile.Fields()); n < 200 || m < 200 {
		t.Errorf("registry has %d fields, %d read from the file; want over 200 each", n, m)
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
