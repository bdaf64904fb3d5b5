package falcoconfig

import "testing"

// FuzzParse checks that no configuration or override panics, and that
// every rejection is an *Error.
func FuzzParse(f *testing.F) {
	f.Add([]byte("json_output: true\nhttp_output: {enabled: true, url: x}\n"), "rules_files[]=a")
	f.Add([]byte("rules_files: [a, b]\n"), `a\.b[0][1].c={x: 1}`)
	f.Fuzz(func(t *testing.T, data []byte, override string) {
		_, err := Parse("f.yaml", data, []string{override})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}
