package native

import (
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// TestSequenceKernels runs the sequence kernels on values directly: their
// results (the first element of each sequence, and its length) and their
// errors.
func TestSequenceKernels(t *testing.T) {
	tv := func(x *tensor.Tensor) *onnx.Value { return &onnx.Value{Kind: onnx.KindTensor, Tensor: x} }
	seq := func(xs ...float32) *onnx.Value {
		s := &onnx.Value{Kind: onnx.KindSequence, Elems: []*onnx.Value{}}
		for _, x := range xs {
			s.Elems = append(s.Elems, tv(f32(nil, x)))
		}
		return s
	}
	pos := func(p int64) *onnx.Value { return tv(i64(nil, p)) }
	tests := []struct {
		name    string
		kernel  valueFunc
		in      []*onnx.Value
		want    []float32 // the elements of the sequence, or the one value of a tensor output
		wantErr string
	}{
		{"empty", sequenceEmpty, nil, []float32{}, ""},
		{"construct", sequenceConstruct, []*onnx.Value{tv(f32(nil, 1)), tv(f32(nil, 2))}, []float32{1, 2}, ""},
		{"construct of mixed types", sequenceConstruct, []*onnx.Value{tv(f32(nil, 1)), tv(i64(nil, 2))}, nil, "sequence elements have different types"},
		{"construct of a sequence", sequenceConstruct, []*onnx.Value{seq(1)}, nil, "input 0: expected a tensor"},
		{"insert at the end", sequenceInsert, []*onnx.Value{seq(1, 2), tv(f32(nil, 3))}, []float32{1, 2, 3}, ""},
		{"insert from the end", sequenceInsert, []*onnx.Value{seq(1, 2), tv(f32(nil, 3)), pos(-2)}, []float32{3, 1, 2}, ""},
		{"insert out of range", sequenceInsert, []*onnx.Value{seq(1, 2), tv(f32(nil, 3)), pos(3)}, nil, "position 3 out of range for 2 elements"},
		{"insert at two positions", sequenceInsert, []*onnx.Value{seq(1), tv(f32(nil, 3)), tv(i64([]int{2}, 0, 1))}, nil, "position must be one int32 or int64 value"},
		{"insert into a tensor", sequenceInsert, []*onnx.Value{tv(f32(nil, 1)), tv(f32(nil, 3))}, nil, "expected a sequence, got a"},
		{"at", sequenceAt, []*onnx.Value{seq(1, 2), pos(-1)}, []float32{2}, ""},
		{"at out of range", sequenceAt, []*onnx.Value{seq(1, 2), pos(2)}, nil, "position 2 out of range for 2 elements"},
		{"erase the last", sequenceErase, []*onnx.Value{seq(1, 2)}, []float32{1}, ""},
		{"erase at", sequenceErase, []*onnx.Value{seq(1, 2, 3), pos(1)}, []float32{1, 3}, ""},
		{"erase from an empty sequence", sequenceErase, []*onnx.Value{seq()}, nil, "SequenceErase on an empty sequence"},
		{"length", sequenceLength, []*onnx.Value{seq(1, 2, 3)}, []float32{3}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := make([]*onnx.Value, 1)
			err := tc.kernel(nil, tc.in, out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []float32{}
			if x := out[0].Tensor; x != nil { // SequenceAt, SequenceLength
				v, err := toFloat64s(x)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, float32(v[0]))
			}
			for _, e := range out[0].Elems {
				got = append(got, tensor.Data[float32](e.Tensor)[0])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
