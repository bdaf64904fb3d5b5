package scap

import "testing"

func TestQuickRoundTrip(t *testing.T) {
	b := AppendEvent(nil, 1, 2, SyscallOpenX, EncInt64(3), EncString("/etc/passwd"), EncUint32(1), EncUint32(0))
	var e Event
	if err := e.Decode(b, false); err != nil {
		t.Fatal(err)
	}
	if string(e.ParamString(1)) != "/etc/passwd" || e.NumParams() != 4 || e.TypeName() != "open" {
		t.Fatalf("got %q %d %s", e.ParamString(1), e.NumParams(), e.TypeName())
	}
}
