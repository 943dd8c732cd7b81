package tensor

import (
	"reflect"
	"strings"
	"testing"
)

func TestGatherRows(t *testing.T) {
	x := MustFromSlice([]int32{0, 1, 2, 3, 4, 5}, 3, 2)
	cases := []struct {
		name  string
		t     *Tensor
		idx   []int64
		shape []int
		want  any
		err   string
	}{
		{"reordered with repeats", x, []int64{2, 0, 2}, []int{3, 2}, []int32{4, 5, 0, 1, 4, 5}, ""},
		{"none", x, nil, []int{0, 2}, []int32{}, ""},
		{"strings", MustFromSlice([]string{"a", "b"}, 2), []int64{1}, []int{1}, []string{"b"}, ""},
		{"out of range", x, []int64{3}, nil, nil, "row 3 is out of range"},
		{"negative", x, []int64{-1}, nil, nil, "row -1"},
		{"scalar", Scalar[float32](1), []int64{0}, nil, nil, "scalar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := GatherRows(c.t, c.idx)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Shape(), c.shape) || !reflect.DeepEqual(got.Data(), c.want) {
				t.Errorf("got %v %v, want %v %v", got.Shape(), got.Data(), c.shape, c.want)
			}
		})
	}
	if got, _ := GatherRows(x, []int64{0}); &Data[int32](got)[0] == &Data[int32](x)[0] {
		t.Error("GatherRows shares the data of its input")
	}
}
