package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/retrace-dev/retrace/internal/compat"
	"github.com/retrace-dev/retrace/internal/testutil"
)

func parseJSONLines(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line %d: %v: %s", len(out)+1, err, sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

func TestJSONFalcoOutputFile(t *testing.T) {
	data, err := os.ReadFile(testutil.SharedFile(t, "falco-tests", "output_files", "single_rule_with_cat_write.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := parseJSONLines(t, data)
	var b bytes.Buffer
	if err := WriteJSON(&b, falcoCatWrite(), Options{}); err != nil {
		t.Fatal(err)
	}
	got := parseJSONLines(t, b.Bytes())
	// Falco 0.33 added the hostname key; 0.32's reference file has none.
	if _, err := compat.Known("JSON-HOSTNAME"); err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		delete(m, "hostname")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON differs from Falco's (-want +got):\n%s", diff)
	}
}

func TestJSONGolden(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"json_utc.golden", Options{}},
		{"json_tz_timeofday.golden", Options{TZ: time.FixedZone("", 5*3600+1800), TimeFormat: TimeOfDay}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, sampleReport(), tc.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, b.Bytes())
			for i, m := range parseJSONLines(t, b.Bytes()) {
				if len(m) != 8 {
					t.Errorf("line %d has %d keys, want 8: %v", i+1, len(m), m)
				}
			}
		})
	}
}

func TestJSONKeysAndTypes(t *testing.T) {
	d := Detection{
		Time: time.Unix(1470327477, 881781397).In(time.FixedZone("", 3600)), Rule: "r", Priority: "Debug", Source: "syscall",
		Tags: []string{"b", "a", "b"}, Output: "o", Hostname: "h",
		OutputFields: map[string]any{
			"z.str": "s", "a.int": int32(-3), "m.uint": uint64(math.MaxUint64), "n.nil": nil, "b.bool": true,
			"f.float": 1.5, "i.inf": math.Inf(1), "t.time": time.Unix(0, 42), "l.list": []string{"x", "y"},
		},
	}
	got := string(AppendJSON(nil, &d, Options{}))
	want := `{"hostname":"h","output":"2016-08-04T16:17:57.881781397+0000: Debug o","output_fields":{` +
		`"a.int":-3,"b.bool":true,"evt.time.iso8601":1470327477881781397,"f.float":1.5,"i.inf":null,"l.list":["x","y"],` +
		`"m.uint":18446744073709551615,"n.nil":null,"t.time":42,"z.str":"s"},` +
		`"priority":"Debug","rule":"r","source":"syscall","tags":["a","b"],"time":"2016-08-04T16:17:57.881781397Z"}`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("output is not valid JSON")
	}
	if d.Tags[0] != "b" {
		t.Error("AppendJSON reordered the caller's tags")
	}
}

// TestJSONKeysOptions checks Falco's json_include_* options: which keys a
// JSON alert has, in nlohmann::json's alphabetical order.
func TestJSONKeysOptions(t *testing.T) {
	tests := []struct {
		name string
		keys JSONKeys
		want []string
	}{
		{"falco default", JSONKeys{}, []string{"hostname", "output", "output_fields", "priority", "rule", "source", "tags", "time"}},
		{"no output", JSONKeys{OmitOutput: true}, []string{"hostname", "output_fields", "priority", "rule", "source", "tags", "time"}},
		{"no tags", JSONKeys{OmitTags: true}, []string{"hostname", "output", "output_fields", "priority", "rule", "source", "time"}},
		{"no output fields", JSONKeys{OmitOutputFields: true}, []string{"hostname", "output", "priority", "rule", "source", "tags", "time"}},
		{"message", JSONKeys{Message: true}, []string{"hostname", "message", "output", "output_fields", "priority", "rule", "source", "tags", "time"}},
		{"minimal", JSONKeys{OmitOutput: true, OmitTags: true, OmitOutputFields: true, Message: true},
			[]string{"hostname", "message", "priority", "rule", "source", "time"}},
	}
	d := sampleReport().Detections[0]
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := AppendJSON(nil, &d, Options{JSON: tc.keys})
			dec := json.NewDecoder(bytes.NewReader(line))
			if _, err := dec.Token(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				got = append(got, k.(string))
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("keys (-want +got):\n%s\n%s", diff, line)
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			if tc.keys.Message && m["message"] != d.Output {
				t.Errorf("message = %q, want the rule output %q", m["message"], d.Output)
			}
		})
	}
}
