package native

import (
	"fmt"
	"slices"
	"testing"
)

func TestReshapeTarget(t *testing.T) {
	tests := []struct {
		in        []int
		spec      []int64
		allowZero bool
		want      []int
		fail      bool
	}{
		{[]int{2, 3, 4}, []int64{0, -1}, false, []int{2, 12}, false},
		{[]int{2, 3, 4}, []int64{-1}, false, []int{24}, false},
		{[]int{2, 3, 4}, []int64{4, 0, 2}, false, []int{4, 3, 2}, false},
		{[]int{0, 3}, []int64{3, 0}, true, []int{3, 0}, false},
		{[]int{0, 3}, []int64{3, 0}, false, nil, true},
		{[]int{0, 3}, []int64{-1, 0}, true, nil, true},
		{[]int{2, 3}, []int64{-1, -1}, false, nil, true},
		{[]int{2, 3}, []int64{7}, false, nil, true},
		{[]int{2, 3}, []int64{-2, 3}, false, nil, true},
		{[]int{2}, []int64{0, 0}, false, nil, true},
		{[]int{}, []int64{}, false, []int{}, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.in, tc.spec, tc.allowZero), func(t *testing.T) {
			got, err := reshapeTarget(nil, tc.in, tc.spec, tc.allowZero)
			if tc.fail != (err != nil) || !tc.fail && !slices.Equal(got, tc.want) {
				t.Fatalf("reshapeTarget = %v, %v; want %v (fail %v)", got, err, tc.want, tc.fail)
			}
		})
	}
}

func TestSqueezeUnsqueezeShapes(t *testing.T) {
	if got, err := squeezeShape([]int{1, 3, 1}, nil); err != nil || !slices.Equal(got, []int{3}) {
		t.Errorf("squeeze all = %v, %v", got, err)
	}
	if got, err := squeezeShape([]int{1, 3, 1}, []int64{-1}); err != nil || !slices.Equal(got, []int{1, 3}) {
		t.Errorf("squeeze -1 = %v, %v", got, err)
	}
	if _, err := squeezeShape([]int{1, 3}, []int64{2}); err == nil {
		t.Error("squeeze out of range succeeded")
	}
	if got, err := unsqueezeShape([]int{3, 4}, []int64{0, -1}); err != nil || !slices.Equal(got, []int{1, 3, 4, 1}) {
		t.Errorf("unsqueeze = %v, %v", got, err)
	}
	if _, err := unsqueezeShape([]int{3}, []int64{1, -2}); err == nil {
		t.Error("unsqueeze with a repeated axis succeeded")
	}
}
