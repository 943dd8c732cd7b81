package onnx

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDecodeLimits: WithMaxBytes refuses tensors from their dims before
// reading their data, and external data that is not a regular file is
// refused without opening it.
func TestDecodeLimits(t *testing.T) {
	tests := []struct {
		name  string
		dims  []int64
		setup func(t *testing.T, dir string)
		opts  []Option
		want  string
	}{
		{name: "sparse file of 16 GiB", dims: []int64{1<<31 - 1},
			setup: func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "w.bin"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(filepath.Join(dir, "w.bin"), (1<<31-1)*4); err != nil {
					t.Fatal(err)
				}
			},
			opts: []Option{WithMaxBytes(1 << 30)},
			want: `tensor "W": model too large: needs 8589934588 bytes, which would bring the model's tensors to 8589934588 bytes, more than the limit of 1073741824 bytes`},
		{name: "named pipe", dims: []int64{2},
			setup: func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "w.bin"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: `external data "w.bin" is not a regular file`},
		{name: "device", dims: []int64{2},
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink("/dev/zero", filepath.Join(dir, "w.bin")); err != nil {
					t.Fatal(err)
				}
			},
			want: `external data "w.bin"`},
	}
	for _, tc := range tests {
		for _, how := range []string{"base dir", "fs"} {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				dir := t.TempDir()
				tc.setup(t, dir)
				m := externalModel("location", "w.bin")
				m.Graph.Initializer[0].Dims = tc.dims
				m.Graph.Input[0] = vi("X", tFloat, tc.dims...)
				m.Graph.Output[0] = vi("Y", tFloat, tc.dims...)
				where := WithBaseDir(dir)
				if how == "fs" {
					where = WithFS(os.DirFS(dir))
				}
				start := time.Now()
				_, err := Decode(marshal(t, m), append([]Option{where}, tc.opts...)...)
				if err == nil || !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error containing %q", err, tc.want)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %v", d)
				}
			})
		}
	}
}
