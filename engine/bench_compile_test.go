package engine_test

import (
	"testing"

	"github.com/retrace-dev/retrace/engine"
	"github.com/retrace-dev/retrace/engine/enginetest"
)

var benchFields = append([]enginetest.Field{
	{FieldInfo: engine.FieldInfo{Name: "fd.typechar", Type: engine.TypeString, Desc: "fd type character"}},
}, enginetest.DefaultFields...)

var benchOpts = engine.CompileOptions{Registry: enginetest.NewRegistry(benchFields), EventTypes: testTypes}

func BenchmarkCompile(b *testing.B) {
	n, err := engine.Parse(benchCondition, engine.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := engine.Compile(n, benchCondition, benchOpts); err != nil {
			b.Fatal(err)
		}
	}
}
