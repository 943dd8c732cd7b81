package native

import (
	"fmt"
	"slices"
	"testing"
)

func TestWindowResolve(t *testing.T) {
	tests := []struct {
		name            string
		w               window
		in, kernel      []int
		ceil            bool
		out, begin, end []int
	}{
		{"notset", window{autoPad: "NOTSET", pads: []int{1, 0, 1, 2}, strides: []int{2, 1}}, []int{7, 5}, []int{3, 3}, false, []int{4, 5}, []int{1, 0}, []int{1, 2}},
		{"dilated", window{autoPad: "NOTSET", dilations: []int{2}}, []int{10}, []int{3}, false, []int{6}, []int{0}, []int{0}},
		{"same_upper odd", window{autoPad: "SAME_UPPER", strides: []int{2}}, []int{5}, []int{2}, false, []int{3}, []int{0}, []int{1}},
		{"same_lower odd", window{autoPad: "SAME_LOWER", strides: []int{2}}, []int{5}, []int{2}, false, []int{3}, []int{1}, []int{0}},
		{"same no pad needed", window{autoPad: "SAME_UPPER", strides: []int{3}}, []int{9}, []int{2}, false, []int{3}, []int{0}, []int{0}},
		{"valid", window{autoPad: "VALID", strides: []int{2}}, []int{7}, []int{3}, false, []int{3}, []int{0}, []int{0}},
		{"ceil adds a window", window{autoPad: "NOTSET", strides: []int{2}}, []int{6}, []int{3}, true, []int{3}, []int{0}, []int{0}},
		{"ceil drops a window in the end pad", window{autoPad: "NOTSET", strides: []int{2}, pads: []int{1, 1}}, []int{5}, []int{2}, true, []int{3}, []int{1}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := tc.w.resolve(tc.in, tc.kernel, tc.ceil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g.out, tc.out) || !slices.Equal(g.padBegin, tc.begin) || !slices.Equal(g.padEnd, tc.end) {
				t.Fatalf("out %v pads %v %v; want %v %v %v", g.out, g.padBegin, g.padEnd, tc.out, tc.begin, tc.end)
			}
		})
	}
	if _, err := (&window{autoPad: "NOTSET"}).resolve([]int{2}, []int{3}, false); err == nil {
		t.Error("kernel larger than the input resolved")
	}
}

func TestValidAndWindowRange(t *testing.T) {
	// validRange: outputs o in [0,n) with o*stride - pad in [0, size).
	for n := 1; n < 6; n++ {
		for size := 0; size < 6; size++ {
			for stride := 1; stride < 4; stride++ {
				for pad := -4; pad < 5; pad++ {
					lo, hi := validRange(n, size, stride, pad)
					for o := range n {
						in := o*stride - pad
						inside := in >= 0 && in < size
						if inside != (o >= lo && o < hi) {
							t.Fatalf("validRange(%d,%d,%d,%d) = [%d,%d) wrong at %d", n, size, stride, pad, lo, hi, o)
						}
					}
				}
			}
		}
	}
	// windowRange: taps k in [0,taps) with start + k*dil in [0, size).
	for start := -6; start < 8; start++ {
		for taps := 1; taps < 5; taps++ {
			for dil := 1; dil < 4; dil++ {
				for size := 1; size < 6; size++ {
					lo, hi := windowRange(start, taps, dil, size)
					for k := range taps {
						p := start + k*dil
						inside := p >= 0 && p < size
						if inside != (k >= lo && k < hi) {
							t.Fatal(fmt.Sprintf("windowRange(%d,%d,%d,%d) = [%d,%d) wrong at %d", start, taps, dil, size, lo, hi, k))
						}
					}
				}
			}
		}
	}
}
