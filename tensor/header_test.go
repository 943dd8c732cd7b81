package tensor

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
)

// TestHeaderAllocs checks that a tensor is one heap object besides its
// elements, for every constructor and for shapes up to inlineRank.
func TestHeaderAllocs(t *testing.T) {
	data := make([]float32, 24)
	x := MustFromSlice(data, 2, 3, 4)
	tests := []struct {
		name string
		want float64
		f    func()
	}{
		{"New", 2, func() { New(Float32, 2, 3, 4) }},
		{"New rank 6", 2, func() { New(Int64, 1, 2, 1, 3, 1, 4) }},
		{"New rank 7", 3, func() { New(Int64, 1, 2, 1, 3, 1, 4, 1) }},
		{"FromSlice", 1, func() { MustFromSlice(data, 4, 6) }},
		{"Reshape", 1, func() { _, _ = x.Reshape(6, 4) }},
		{"Scalar", 2, func() { Scalar(int64(7)) }},
		{"Clone", 2, func() { x.Clone() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(20, tt.f); got != tt.want {
				t.Errorf("%s allocates %v objects, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// TestHeaderSurvivesGC makes tensors of every element type, drops all
// other references to their data, collects garbage, and reads them back:
// the data interface points into the tensor's own allocation, which must
// keep both the slice header and the elements alive.
func TestHeaderSurvivesGC(t *testing.T) {
	const n = 200
	var ts []*Tensor
	for i := range n {
		switch i % 4 {
		case 0:
			x := New(Float32, 3, i+1)
			d := Data[float32](x)
			for j := range d {
				d[j] = float32(i + j)
			}
			ts = append(ts, x)
		case 1:
			ts = append(ts, MustFromSlice([]string{fmt.Sprint(i)}, 1))
		case 2:
			x, err := MustFromSlice([]int64{int64(i), int64(i + 1)}, 2).Reshape(1, 2)
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, x)
		default:
			ts = append(ts, Scalar(float64(i)).Clone())
		}
	}
	runtime.GC()
	runtime.GC()
	for i, x := range ts {
		switch i % 4 {
		case 0:
			d := Data[float32](x)
			if len(d) != 3*(i+1) || d[len(d)-1] != float32(i+len(d)-1) || !slices.Equal(x.Shape(), []int{3, i + 1}) {
				t.Fatalf("tensor %d: %v, last element %v", i, x, d[len(d)-1])
			}
		case 1:
			if got := Data[string](x); len(got) != 1 || got[0] != fmt.Sprint(i) {
				t.Fatalf("tensor %d: %q", i, got)
			}
		case 2:
			if got := Data[int64](x); !slices.Equal(got, []int64{int64(i), int64(i + 1)}) || !slices.Equal(x.Shape(), []int{1, 2}) {
				t.Fatalf("tensor %d: %v %v", i, x, got)
			}
		default:
			if got := Data[float64](x); len(got) != 1 || got[0] != float64(i) || x.Rank() != 0 || x.Shape() == nil {
				t.Fatalf("tensor %d: %v %v", i, x, got)
			}
		}
	}
}

// TestHeaderShapeIsCopied checks that a tensor keeps its own copy of the
// shape it was made with, and that appending to its shape leaves it alone.
func TestHeaderShapeIsCopied(t *testing.T) {
	for _, shape := range [][]int{{2, 3}, {1, 1, 1, 1, 1, 1, 6}} {
		s := slices.Clone(shape)
		x := New(Uint8, s...)
		s[0] = 9
		if !slices.Equal(x.Shape(), shape) {
			t.Fatalf("New kept the caller's shape: %v", x.Shape())
		}
		grown := append(x.Shape(), 5)
		grown[0] = 7
		if !slices.Equal(x.Shape(), shape) {
			t.Fatalf("appending to Shape changed the tensor: %v", x.Shape())
		}
		d, ok := x.Data().([]uint8)
		if !ok || len(d) != NumElements(shape) {
			t.Fatalf("Data() is %T of %d elements", x.Data(), len(d))
		}
	}
}
