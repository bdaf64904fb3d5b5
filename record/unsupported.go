//go:build !(linux && amd64)

package record

import "context"

// Record returns ErrUnsupported: the recorder needs Linux on amd64.
func Record(ctx context.Context, opts Options) (*Result, error) {
	return nil, ErrUnsupported
}
