package native

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestRunBombs runs models whose tensor sizes come from the request's
// values, with values asking for gigabytes: each run must fail with an
// invalid-input error naming the node and the size, before allocating,
// and the session must answer the next, reasonable request.
func TestRunBombs(t *testing.T) {
	loopBody := accumulateLoopBody()
	big := make([]float32, 64<<10)
	tests := []struct {
		name     string
		n        *onnx.Node
		opts     engine.Options
		bomb, ok map[string]*tensor.Tensor
		want     string
	}{
		{name: "ConstantOfShape", n: node("ConstantOfShape", []string{"s"}, []string{"y"}),
			bomb: feeds("s", i64([]int{1}, 2147483647)), ok: feeds("s", i64([]int{1}, 3)),
			want: "node n_ConstantOfShape (ConstantOfShape): output FP32 of shape [2147483647] needs 8589934588 bytes"},
		{name: "Expand FP64", n: node("Expand", []string{"x", "s"}, []string{"y"}),
			bomb: feeds("x", tensor.MustFromSlice([]float64{1}, 1), "s", i64([]int{1}, 268435456)),
			ok:   feeds("x", tensor.MustFromSlice([]float64{1}, 1), "s", i64([]int{1}, 4)),
			want: "node n_Expand (Expand): output FP64 of shape [268435456] needs 2147483648 bytes"},
		{name: "Tile", n: node("Tile", []string{"x", "r"}, []string{"y"}),
			bomb: feeds("x", f32([]int{2}, 1, 2), "r", i64([]int{1}, 1<<30-1)),
			ok:   feeds("x", f32([]int{2}, 1, 2), "r", i64([]int{1}, 3)),
			want: "node n_Tile (Tile): output FP32 of shape [2147483646] needs"},
		{name: "Range", n: node("Range", []string{"a", "b", "d"}, []string{"y"}),
			bomb: feeds("a", tensor.Scalar(int64(0)), "b", tensor.Scalar(int64(1<<30)), "d", tensor.Scalar(int64(1))),
			ok:   feeds("a", tensor.Scalar(int64(0)), "b", tensor.Scalar(int64(5)), "d", tensor.Scalar(int64(1))),
			want: "node n_Range (Range): output INT64 of shape [1073741824] needs 8589934592 bytes"},
		{name: "Pad", n: node("Pad", []string{"x", "p"}, []string{"y"}),
			bomb: feeds("x", f32([]int{1}, 1), "p", i64([]int{2}, 0, 1<<29)),
			ok:   feeds("x", f32([]int{1}, 1), "p", i64([]int{2}, 0, 2)),
			want: "node n_Pad (Pad): output FP32 of shape [536870913] needs"},
		{name: "Resize", n: node("Resize", []string{"x", "", "sc"}, []string{"y"}),
			bomb: feeds("x", f32([]int{1, 8}, 1, 2, 3, 4, 5, 6, 7, 8), "sc", tensor.MustFromSlice([]float32{1, 65536}, 2)),
			ok:   feeds("x", f32([]int{1, 2}, 1, 2), "sc", tensor.MustFromSlice([]float32{1, 2}, 2)),
			opts: engine.Options{MaxTensorBytes: 1 << 20},
			want: "node n_Resize (Resize): Resize: output FP32 of shape [1 524288] needs 2097152 bytes"},
		{name: "Loop scan output", opts: engine.Options{MaxTensorBytes: 1 << 20},
			n:    node("Loop", []string{"M", "", "a0"}, []string{"sum", "steps"}, graphAttr("body", loopBody)),
			bomb: feeds("M", tensor.Scalar(int64(1e9)), "a0", f32([]int{len(big)}, big...), "x", f32([]int{len(big)}, big...)),
			ok:   feeds("M", tensor.Scalar(int64(2)), "a0", f32([]int{len(big)}, big...), "x", f32([]int{len(big)}, big...)),
			want: "Loop scan output 0 reaches 1310720 bytes after 5 iterations, more than the limit of 1048576 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := opModel(17, tc.n, tc.bomb, nil)
			if tc.n.OpType == "Loop" {
				m.Graph.Inputs = append(m.Graph.Inputs, input("x", tensor.Float32, -1))
			}
			tc.opts.IntraOpThreads = 2
			s, err := NewSession(context.Background(), m, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = s.Run(context.Background(), tc.bomb)
			if err == nil || !errors.Is(err, engine.ErrInvalidInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("bomb: got %v, want an invalid input error containing %q", err, tc.want)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("the refused run allocated %d bytes", grew)
			}
			if _, err := s.Run(context.Background(), tc.ok); err != nil {
				t.Fatalf("after the bomb: %v", err)
			}
		})
	}
}

// TestLoadBombs loads models whose constants (folded at load) would take
// more than the limits.
func TestLoadBombs(t *testing.T) {
	shapeOf := func(name string) *onnx.Node {
		return node("ConstantOfShape", []string{name}, []string{name + "_y"})
	}
	tests := []struct {
		name  string
		nodes []*onnx.Node
		inits map[string]*tensor.Tensor
		opts  engine.Options
		want  string
	}{
		{name: "one huge constant", nodes: []*onnx.Node{shapeOf("s")},
			inits: map[string]*tensor.Tensor{"s": i64([]int{1}, 2147483647)},
			want:  "evaluating constant node n_ConstantOfShape (ConstantOfShape): output FP32 of shape [2147483647] needs 8589934588 bytes, more than the limit of 1073741824 bytes per tensor"},
		{name: "constants over the model budget", nodes: []*onnx.Node{shapeOf("s"), shapeOf("t")},
			inits: map[string]*tensor.Tensor{"s": i64([]int{1}, 1<<17), "t": i64([]int{1}, 1<<17)},
			opts:  engine.Options{MaxModelBytes: 1 << 20},
			want:  "constant node n_ConstantOfShape (ConstantOfShape) output 0 needs 524288 bytes, which would bring the model to 1048592 bytes, more than the limit of 1048576 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var outs []string
			for _, n := range tc.nodes {
				outs = append(outs, n.Outputs...)
			}
			_, err := NewSession(context.Background(), model(17, tc.nodes, nil, outs, tc.inits), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestLoadExternalData loads real files whose initializer lives in
// external data that must not be read: a sparse file claiming 16 GiB, a
// named pipe, a symbolic link out of the model's directory.
func TestLoadExternalData(t *testing.T) {
	const n = 1<<31 - 1
	tests := []struct {
		name  string
		dims  []int64
		setup func(t *testing.T, top, dir string) // makes dir/w.bin
		want  string
	}{
		{name: "huge sparse file", dims: []int64{n},
			setup: func(t *testing.T, _, dir string) {
				f, err := os.Create(filepath.Join(dir, "w.bin"))
				if err != nil {
					t.Fatal(err)
				}
				f.Close()
				if err := os.Truncate(f.Name(), n*8); err != nil {
					t.Fatal(err)
				}
			},
			want: `tensor "W": model too large: needs 17179869176 bytes`},
		{name: "named pipe", dims: []int64{1},
			setup: func(t *testing.T, _, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "w.bin"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			want: `external data "w.bin" is not a regular file`},
		{name: "symlink out of the directory", dims: []int64{1},
			setup: func(t *testing.T, top, dir string) {
				if err := os.WriteFile(filepath.Join(top, "secret.bin"), make([]byte, 8), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(filepath.Join("..", "secret.bin"), filepath.Join(dir, "w.bin")); err != nil {
					t.Fatal(err)
				}
			},
			want: `external data "w.bin"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top := t.TempDir()
			dir := filepath.Join(top, "model")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, top, dir)
			data := pbModel(
				[]pb{pbNode("Identity", []string{"W"}, []string{"Y"}, nil)},
				[]pb{pbTensor("W", pbDouble, tc.dims, nil, "location", "w.bin")},
				nil, []pb{pbValue("Y", pbDouble, tc.dims...)})
			path := filepath.Join(dir, "model.onnx")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, err := engine.LoadPath(ctx, Engine{}, path, engine.Options{})
			if err == nil || !errors.Is(err, onnx.ErrInvalidModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an invalid model error containing %q", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("refusing the model took %v", d)
			}
		})
	}
}

// TestLoadFileWithinBudget is the control of TestLoadExternalData: the
// same file layout with real data loads and runs.
func TestLoadFileWithinBudget(t *testing.T) {
	dir := t.TempDir()
	w := tensor.MustFromSlice([]float64{1.5, -2}, 2)
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), rawBytes(w), 0o644); err != nil {
		t.Fatal(err)
	}
	data := pbModel(
		[]pb{pbNode("Add", []string{"X", "W"}, []string{"Y"}, nil)},
		[]pb{pbTensor("W", pbDouble, []int64{2}, nil, "location", "w.bin")},
		[]pb{pbValue("X", pbDouble, 2)}, []pb{pbValue("Y", pbDouble, 2)})
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := engine.LoadPath(context.Background(), Engine{}, filepath.Join(dir, "model.onnx"), engine.Options{MaxModelBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, s, feeds("X", tensor.MustFromSlice([]float64{1, 1}, 2)))
	if got := tensor.Data[float64](out["Y"]); got[0] != 2.5 || got[1] != -1 {
		t.Errorf("Y = %v, want [2.5 -1]", got)
	}
	if _, err := engine.LoadPath(context.Background(), Engine{}, filepath.Join(dir, "model.onnx"), engine.Options{MaxModelBytes: 15}); !errors.Is(err, onnx.ErrTooLarge) {
		t.Errorf("16 bytes of initializers under a limit of 15: got %v, want ErrTooLarge", err)
	}
}

// rawBytes is the little-endian raw data of a float64 tensor.
func rawBytes(t *tensor.Tensor) []byte {
	var b []byte
	for _, v := range tensor.Data[float64](t) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}
