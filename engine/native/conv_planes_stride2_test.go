package native

import (
	"fmt"
	"testing"
)

// TestBuildStride2 checks the layout of planes read with a column stride
// of 2 (tapLayout.buildStride2: one deinterleave into both column phases
// when their runs line up, else row by row through scratch) against the
// definition: phase (qi, qj) holds input (y·sh + qi - pt, x·2 + qj - pl)
// at row y, column x, and the padding is left as it was.
func TestBuildStride2(t *testing.T) {
	tests := []struct {
		h, w, kh, kw, sh, dw, pt, pl, pb, pr int
	}{
		{8, 32, 3, 3, 2, 1, 1, 1, 1, 1}, // the usual 3×3 stride 2
		{8, 33, 3, 3, 2, 1, 1, 1, 1, 1}, // odd width
		{7, 40, 3, 3, 1, 1, 0, 0, 0, 0}, // no pads
		{6, 34, 3, 5, 2, 1, 1, 2, 1, 2}, // 5 wide, pads of 2
		{6, 35, 2, 4, 2, 1, 0, 3, 1, 0}, // pad 3: the phases' runs do not line up
		{5, 36, 1, 1, 1, 1, 0, 0, 0, 0}, // one column phase (1×1)
		{5, 37, 3, 3, 2, 2, 2, 2, 2, 2}, // dilation 2: one column phase
		{9, 48, 3, 2, 2, 1, 0, 1, 1, 0}, // 2 wide, pad 1: phase 1 reads the even elements
	}
	paths := map[bool]int{}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d_k%dx%d_s%dx2_d%d_p%d,%d,%d,%d", tt.h, tt.w, tt.kh, tt.kw, tt.sh, tt.dw, tt.pt, tt.pl, tt.pb, tt.pr), func(t *testing.T) {
			g := &geometry{in: []int{tt.h, tt.w}, kernel: []int{tt.kh, tt.kw}, stride: []int{tt.sh, 2}, dilation: []int{1, tt.dw},
				padBegin: []int{tt.pt, tt.pl}, padEnd: []int{tt.pb, tt.pr},
				out: []int{(tt.h+tt.pt+tt.pb-tt.kh)/tt.sh + 1, (tt.w+tt.pl+tt.pr-(tt.kw-1)*tt.dw-1)/2 + 1}}
			l := newTapLayout(g)
			_, _, _, aligned := l.stride2Runs()
			paths[aligned]++
			x := make([]float32, tt.h*tt.w)
			for i := range x {
				x[i] = float32(i + 1)
			}
			const pad = -7
			phaseStride := l.plane()
			got, want := make([]float32, l.phases*phaseStride), make([]float32, l.phases*phaseStride)
			for i := range got {
				got[i], want[i] = pad, pad
			}
			l.build(got, x, phaseStride, defaultTaps(), make([]float32, tt.w+2))
			stride2Reference(l, want, x, phaseStride)
			for i := range got {
				if got[i] != want[i] {
					q, n := i/phaseStride, i%phaseStride
					t.Fatalf("phase %d row %d column %d: %v, want %v", q, n/l.wq, n%l.wq, got[i], want[i])
				}
			}
		})
	}
	if paths[true] == 0 || paths[false] == 0 {
		t.Errorf("cases with the phases' runs aligned and not: %d and %d, want some of each", paths[true], paths[false])
	}
}

// stride2Reference lays out x by the definition of the phases.
func stride2Reference(l *tapLayout, dst, x []float32, phaseStride int) {
	for qi := range l.sh {
		for qj := range 2 {
			q := l.phase[qi*2+qj]
			if q < 0 {
				continue
			}
			for y := range l.hq {
				for c := range l.wq {
					iy, ix := y*l.sh+qi-l.pt, c*2+qj-l.pl
					if iy >= 0 && iy < l.h && ix >= 0 && ix < l.w {
						dst[q*phaseStride+y*l.wq+c] = x[iy*l.w+ix]
					}
				}
			}
		}
	}
}
