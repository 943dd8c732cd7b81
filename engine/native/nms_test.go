package native

import (
	"math"
	"testing"
)

// TestNMSKeep checks the candidate order of NonMaxSuppression's heap:
// decreasing score, ties (−0 and +0 included) in box order, NaN last, and
// that popping stops once enough boxes are kept.
func TestNMSKeep(t *testing.T) {
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	// Disjoint unit boxes: nothing overlaps, so the order is the keys'.
	corners := make([]float32, 5*6)
	for i := range 6 {
		nmsCorners(corners[5*i:5*i+5], []float32{float32(2 * i), 0, float32(2*i + 1), 1}, false)
	}
	for _, c := range []struct {
		name   string
		scores []float32
		keep   int
		want   []int32
	}{
		{"decreasing", []float32{0.1, 0.9, 0.5, -1, 2, 0.3}, 6, []int32{4, 1, 2, 5, 0, 3}},
		{"ties in box order", []float32{0.5, 0.7, 0.5, 0.7, 0, negZero}, 6, []int32{1, 3, 0, 2, 4, 5}},
		{"NaN last", []float32{nan, -3, nan, 1, 0, 2}, 6, []int32{5, 3, 4, 1, 0, 2}},
		{"at most keep", []float32{0.1, 0.9, 0.5, -1, 2, 0.3}, 2, []int32{4, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := nmsParams{maxOut: 6, iou: 0.5}
			kept := make([]int32, c.keep)
			n := p.keep(c.scores, corners, make([]uint64, len(c.scores)), kept)
			if n != len(c.want) {
				t.Fatalf("kept %d boxes %v, want %v", n, kept[:n], c.want)
			}
			for i := range c.want {
				if kept[i] != c.want[i] {
					t.Fatalf("kept %v, want %v", kept[:n], c.want)
				}
			}
		})
	}
}

// TestNMSOverlap checks suppression and the score threshold: of three
// nested boxes the lower-scored overlapping ones go, a disjoint one stays,
// and one under the threshold is never considered.
func TestNMSOverlap(t *testing.T) {
	boxes := []float32{0, 0, 10, 10, 0, 0, 10, 9, 20, 20, 30, 30, 0, 0, 1, 1}
	corners := make([]float32, 5*4)
	nmsCorners(corners, boxes, false)
	p := nmsParams{maxOut: 10, iou: 0.5, scoreTh: 0.2, hasScoreTh: true}
	kept := make([]int32, 4)
	n := p.keep([]float32{0.8, 0.9, 0.5, 0.1}, corners, make([]uint64, 4), kept)
	if want := []int32{1, 2}; n != 2 || kept[0] != want[0] || kept[1] != want[1] {
		t.Fatalf("kept %v, want %v", kept[:n], want)
	}
}
