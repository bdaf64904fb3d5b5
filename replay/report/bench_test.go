package report

import (
	"io"
	"testing"
)

// benchWrite measures writing a report of 10,000 detections in one format.
func benchWrite(b *testing.B, f Format) {
	r := bigReport(10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, r, f, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Detections)*b.N)/b.Elapsed().Seconds(), "detections/s")
}

func BenchmarkWriteText10k(b *testing.B)  { benchWrite(b, FormatText) }
func BenchmarkWriteJSON10k(b *testing.B)  { benchWrite(b, FormatJSON) }
func BenchmarkWriteTable10k(b *testing.B) { benchWrite(b, FormatTable) }
func BenchmarkWriteHTML10k(b *testing.B)  { benchWrite(b, FormatHTML) }

// BenchmarkAppendJSON measures the streaming path replay uses for one alert;
// it should not allocate.
func BenchmarkAppendJSON(b *testing.B) {
	d := &demoReport().Detections[1]
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSON(buf[:0], d, Options{})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "detections/s")
}

// BenchmarkAppendText measures one Falco text alert line.
func BenchmarkAppendText(b *testing.B) {
	d := &demoReport().Detections[1]
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendText(buf[:0], d, Options{})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "detections/s")
}
