package conformance

import (
	"math"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

func TestCompareValues(t *testing.T) {
	f32 := func(v ...float32) *onnx.Value {
		return &onnx.Value{Kind: onnx.KindTensor, Tensor: tensor.MustFromSlice(v, len(v))}
	}
	i64 := func(v ...int64) *onnx.Value {
		return &onnx.Value{Kind: onnx.KindTensor, Tensor: tensor.MustFromSlice(v, len(v))}
	}
	seq := func(e ...*onnx.Value) *onnx.Value { return &onnx.Value{Kind: onnx.KindSequence, Elems: e} }
	mp := func(keys []string, vals ...*onnx.Value) *onnx.Value {
		return &onnx.Value{Kind: onnx.KindMap, Keys: tensor.MustFromSlice(keys, len(keys)), Elems: vals}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name      string
		got, want *onnx.Value
		err       string
	}{
		{"equal", f32(1, 2), f32(1, 2), ""},
		{"within rtol", f32(1000.9), f32(1000), ""},
		{"beyond rtol", f32(1001.1), f32(1000), "element 0"},
		{"atol near zero", f32(1e-8), f32(0), ""},
		{"beyond atol near zero", f32(1e-6), f32(0), "got 1e-06, want 0"},
		{"NaN matches NaN", f32(nan), f32(nan), ""},
		{"NaN is not a number", f32(1), f32(nan), "element 0"},
		{"infinities exact", f32(inf), f32(inf), ""},
		{"infinity mismatch", f32(-inf), f32(inf), "element 0"},
		{"shape", f32(1, 2, 3), f32(1, 2), "got FP32[3], want FP32[2]"},
		{"dtype", i64(1), f32(1), "got INT64[1], want FP32[1]"},
		{"ints exact", i64(1, 2), i64(1, 3), "element 1"},
		{"missing", nil, f32(1), "missing"},
		{"kind", seq(), f32(1), "got a sequence, want a tensor"},
		{"sequence", seq(f32(1), f32(2)), seq(f32(1), f32(2)), ""},
		{"sequence length", seq(f32(1)), seq(f32(1), f32(2)), "1 elements, want 2"},
		{"sequence element", seq(f32(1), f32(3)), seq(f32(1), f32(2)), "element 1"},
		{"map any order", mp([]string{"b", "a"}, f32(2), f32(1)), mp([]string{"a", "b"}, f32(1), f32(2)), ""},
		{"map value", mp([]string{"a"}, f32(2)), mp([]string{"a"}, f32(1)), `key "a"`},
		{"map key", mp([]string{"c"}, f32(1)), mp([]string{"a"}, f32(1)), `lacks key "a"`},
		{"empty optionals", &onnx.Value{Kind: onnx.KindOptional}, &onnx.Value{Kind: onnx.KindOptional}, ""},
		{"optional empty", &onnx.Value{Kind: onnx.KindOptional}, &onnx.Value{Kind: onnx.KindOptional, Elem: f32(1)}, "empty, want a value"},
		{"float16", &onnx.Value{Kind: onnx.KindTensor, Tensor: must16(0x3c00)}, &onnx.Value{Kind: onnx.KindTensor, Tensor: must16(0x3c01)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CompareValues(tc.got, tc.want, DefaultTolerance)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one mentioning %q", err, tc.err)
			}
		})
	}
}

func must16(bits ...uint16) *tensor.Tensor {
	t, err := tensor.FromFloat16Bits(bits, len(bits))
	if err != nil {
		panic(err)
	}
	return t
}

func TestBfloat16Tensor(t *testing.T) {
	got := tensor.Data[float32](bfloat16Tensor(tensor.MustFromSlice([]uint16{0x3f80, 0xc000, 0x7fc0}, 3)))
	if got[0] != 1 || got[1] != -2 || !math.IsNaN(float64(got[2])) {
		t.Fatalf("bfloat16 bits decoded as %v", got)
	}
}
