package capture

import "testing"

// TestBufferSize checks the size classes of frame buffers: never smaller
// than asked, at most 1/8 larger (above the minimum), and one class for
// every frame the default writer cuts (above 960 KiB, up to 1 MiB).
func TestBufferSize(t *testing.T) {
	tests := []struct{ n, want int }{
		{0, minBuffer},
		{1, minBuffer},
		{minBuffer, minBuffer},
		{minBuffer + 1, 72 << 10},
		{1048500, 1 << 20},
		{1 << 20, 1 << 20},
		{1<<20 + 1, 1<<20 + 128<<10},
		{MaxFrameContent, MaxFrameContent},
	}
	for _, tc := range tests {
		if got := bufferSize(tc.n); got != tc.want {
			t.Errorf("bufferSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	for n := minBuffer; n <= maxFrameCompressed; n = n*9/8 + 7 {
		got := bufferSize(n)
		if got < n || got-n > n/8 {
			t.Fatalf("bufferSize(%d) = %d: outside [n, n+n/8]", n, got)
		}
	}
	for n := DefaultFrameSize - 64<<10 + 1; n <= DefaultFrameSize; n += 997 {
		if got := bufferSize(n); got != DefaultFrameSize {
			t.Fatalf("bufferSize(%d) = %d, want one class (%d) for default frames", n, got, DefaultFrameSize)
		}
	}
}
