//go:build ort

package ort

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

func loadTest(t *testing.T, file string, opts engine.Options) engine.Session {
	t.Helper()
	requireLibrary(t)
	s, err := engine.LoadPath(context.Background(), Engine{}, "testdata/"+file, opts)
	if err != nil {
		t.Fatalf("Load %s: %v", file, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestDTypes sends every datatype through Identity and checks it comes back
// unchanged, with the rank-0 outputs.
func TestDTypes(t *testing.T) {
	s := loadTest(t, "dtypes.onnx", engine.Options{IntraOpThreads: 1})
	f16, _ := tensor.FromFloat16Bits([]uint16{0x3c00, 0xc000, 0x7c00, 0x0001}, 2, 2)
	in := map[string]*tensor.Tensor{
		"in_b":   tensor.MustFromSlice([]bool{true, false, false, true}, 2, 2),
		"in_u8":  tensor.MustFromSlice([]uint8{0, 1, 254, 255}, 2, 2),
		"in_u16": tensor.MustFromSlice([]uint16{0, 1, 65534, 65535}, 2, 2),
		"in_u32": tensor.MustFromSlice([]uint32{0, 1, math.MaxUint32 - 1, math.MaxUint32}, 2, 2),
		"in_u64": tensor.MustFromSlice([]uint64{0, 1, math.MaxUint64 - 1, math.MaxUint64}, 2, 2),
		"in_i8":  tensor.MustFromSlice([]int8{-128, -1, 0, 127}, 2, 2),
		"in_i16": tensor.MustFromSlice([]int16{-32768, -1, 0, 32767}, 2, 2),
		"in_i32": tensor.MustFromSlice([]int32{math.MinInt32, -1, 0, math.MaxInt32}, 2, 2),
		"in_i64": tensor.MustFromSlice([]int64{math.MinInt64, -1, 0, math.MaxInt64}, 2, 2),
		"in_f16": f16,
		"in_f32": tensor.MustFromSlice([]float32{1.5, -2.25, 3, 0.125}, 2, 2),
		"in_f64": tensor.MustFromSlice([]float64{1e300, -1e-300, math.Pi, 0}, 2, 2),
		"in_s":   tensor.MustFromSlice([]string{"", "a", "héllo", "multi\nline"}, 2, 2),
	}
	out, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in)+2 {
		t.Errorf("%d outputs, want %d", len(out), len(in)+2)
	}
	for name, want := range in {
		oname := "out_" + strings.TrimPrefix(name, "in_")
		t.Run(oname, func(t *testing.T) {
			got := out[oname]
			if got == nil || got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
				t.Fatalf("got %v, want %v", got, want)
			}
			if g, w := got.Data(), want.Data(); !sameData(g, w) {
				t.Errorf("got %v, want %v", g, w)
			}
		})
	}
	if sum := out["sum_f32"]; sum == nil || sum.Rank() != 0 || tensor.Data[float32](sum)[0] != 2.375 {
		t.Errorf("sum_f32 = %v %v, want the FP32 scalar 2.375", sum, sum.Data())
	}
	if c := out["const_s"]; c == nil || c.Rank() != 0 || tensor.Data[string](c)[0] != "hello" {
		t.Errorf("const_s = %v, want the BYTES scalar hello", c)
	}
	t.Run("empty batch", func(t *testing.T) {
		empty := map[string]*tensor.Tensor{}
		for name, tt := range in {
			empty[name] = tensor.New(tt.DType(), 0, 2)
		}
		// onnxruntime_go cannot return empty FP16 tensors; the error says so.
		_, err := s.Run(context.Background(), empty)
		if err == nil || !strings.Contains(err.Error(), "empty FP16") {
			t.Errorf("Run on an empty batch: %v, want the empty FP16 limitation", err)
		}
	})
}

func sameData(a, b any) bool {
	switch x := a.(type) {
	case []float64:
		return slices.Equal(x, b.([]float64))
	case []float32:
		return slices.Equal(x, b.([]float32))
	}
	// Everything else compares exactly through its printed form.
	return sprint(a) == sprint(b)
}

// TestZipMap checks the flattened form of ONNX-ML classifier outputs and
// the values RunValues returns.
func TestZipMap(t *testing.T) {
	x := []float32{1, 0, 0, 0, 2, 1}
	// LinearClassifier: score[c] = sum_f x[f]·coef[c][f] + b[c], then softmax.
	coef := [3][3]float64{{1.0, -0.5, 0.2}, {0.5, 1.0, -0.3}, {-1.0, 0.25, 1.0}}
	bias := [3]float64{0.1, -0.1, 0}
	want := make([]float32, 0, 6)
	wantLabel := make([]int, 2)
	for r := range 2 {
		var sc [3]float64
		var sum float64
		for c := range 3 {
			sc[c] = bias[c]
			for f := range 3 {
				sc[c] += float64(x[3*r+f]) * coef[c][f]
			}
			sc[c] = math.Exp(sc[c])
			sum += sc[c]
			if sc[c] > sc[wantLabel[r]] {
				wantLabel[r] = c
			}
		}
		for c := range 3 {
			want = append(want, float32(sc[c]/sum))
		}
	}
	tests := []struct {
		file   string
		keys   *tensor.Tensor
		labels func(i int) any
	}{
		{"zipmap_int.onnx", tensor.MustFromSlice([]int64{0, 1, 2}, 3), func(i int) any { return int64(i) }},
		{"zipmap_str.onnx", tensor.MustFromSlice([]string{"cat", "dog", "emu"}, 3), func(i int) any { return []string{"cat", "dog", "emu"}[i] }},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			s := loadTest(t, tc.file, engine.Options{})
			outs := s.Outputs()
			if len(outs) != 2 || outs[1].Name != "probabilities" || outs[1].DType != tensor.Float32 || !slices.Equal(outs[1].Shape, []int{-1, 3}) {
				t.Fatalf("Outputs() = %+v, want probabilities FP32 [-1 3] second", outs)
			}
			in := tensor.MustFromSlice(x, 2, 3)
			out, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": in})
			if err != nil {
				t.Fatal(err)
			}
			p := out["probabilities"]
			if !slices.Equal(p.Shape(), []int{2, 3}) {
				t.Fatalf("probabilities %v, want FP32[2 3]", p)
			}
			for i, w := range want {
				if g := tensor.Data[float32](p)[i]; math.Abs(float64(g-w)) > 1e-6 {
					t.Errorf("probabilities[%d] = %v, want %v", i, g, w)
				}
			}
			labels := out["label"]
			for r := range 2 {
				if g := sprint(element(labels, r).Data()); g != sprint([]any{tc.labels(wantLabel[r])}) {
					t.Errorf("label[%d] = %v, want %v", r, g, tc.labels(wantLabel[r]))
				}
			}
			vs := s.(interface {
				RunValues(context.Context, map[string]*onnx.Value) (map[string]*onnx.Value, error)
			})
			vals, err := vs.RunValues(context.Background(), map[string]*onnx.Value{"x": {Kind: onnx.KindTensor, Tensor: in}})
			if err != nil {
				t.Fatal(err)
			}
			seq := vals["probabilities"]
			if seq.Kind != onnx.KindSequence || len(seq.Elems) != 2 {
				t.Fatalf("RunValues probabilities = %+v, want a sequence of 2 maps", seq)
			}
			for r, m := range seq.Elems {
				if m.Kind != onnx.KindMap || sprint(m.Keys.Data()) != sprint(tc.keys.Data()) || len(m.Elems) != 3 {
					t.Fatalf("map %d = %+v, want keys %v", r, m, tc.keys.Data())
				}
				for c, e := range m.Elems {
					if g := tensor.Data[float32](e.Tensor)[0]; math.Abs(float64(g-want[3*r+c])) > 1e-6 || e.Tensor.Rank() != 0 {
						t.Errorf("map %d value %d = %v, want the scalar %v", r, c, e.Tensor, want[3*r+c])
					}
				}
			}
		})
	}
}

// TestSequences checks a sequence output stacked by Run, and sequence
// inputs through RunValues.
func TestSequences(t *testing.T) {
	s := loadTest(t, "sequence.onnx", engine.Options{})
	_, err := s.Run(context.Background(), map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 2, 4)})
	if err == nil || !strings.Contains(err.Error(), "not tensors") {
		t.Errorf("Run with a sequence input: error %v, want one saying the inputs are not tensors", err)
	}
	vs := s.(interface {
		RunValues(context.Context, map[string]*onnx.Value) (map[string]*onnx.Value, error)
	})
	x := tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 4)
	parts := &onnx.Value{Kind: onnx.KindSequence, Elems: []*onnx.Value{
		{Kind: onnx.KindTensor, Tensor: tensor.MustFromSlice([]float32{1, 2}, 2)},
		{Kind: onnx.KindTensor, Tensor: tensor.MustFromSlice([]float32{3}, 1)},
	}}
	out, err := vs.RunValues(context.Background(), map[string]*onnx.Value{"x": {Kind: onnx.KindTensor, Tensor: x}, "parts": parts})
	if err != nil {
		t.Fatal(err)
	}
	if j := out["joined"]; j.Kind != onnx.KindTensor || sprint(j.Tensor.Data()) != "[1 2 3]" {
		t.Errorf("joined = %+v, want [1 2 3]", j)
	}
	rows := out["rows"]
	if rows.Kind != onnx.KindSequence || len(rows.Elems) != 2 || sprint(rows.Elems[1].Tensor.Data()) != "[5 6 7 8]" {
		t.Errorf("rows = %+v, want 2 rows, the second [5 6 7 8]", rows)
	}
	_, err = vs.RunValues(context.Background(), map[string]*onnx.Value{"x": {Kind: onnx.KindTensor, Tensor: x}})
	if !errors.Is(err, engine.ErrInvalidInput) || !strings.Contains(err.Error(), `missing input "parts"`) {
		t.Errorf("RunValues without parts: %v, want a missing input error", err)
	}
	// Stacking, as Run does for sequence outputs.
	seqOut := port{info: engine.TensorInfo{Name: "rows", DType: tensor.Float32, Shape: []int{-1, 4}}}
	if e, err := emptyStack(seqOut); err != nil || !slices.Equal(e.Shape(), []int{0, 4}) {
		t.Errorf("emptyStack = %v, %v; want FP32[0 4]", e, err)
	}
	st, err := stack([]*tensor.Tensor{tensor.MustFromSlice([]int32{1, 2}, 2), tensor.MustFromSlice([]int32{3, 4}, 2)})
	if err != nil || !slices.Equal(st.Shape(), []int{2, 2}) || sprint(st.Data()) != "[1 2 3 4]" {
		t.Errorf("stack = %v %v, %v", st, st.Data(), err)
	}
	if _, err := stack([]*tensor.Tensor{tensor.New(tensor.Int32, 2), tensor.New(tensor.Int32, 3)}); err == nil {
		t.Error("stack of different shapes succeeded")
	}
}
