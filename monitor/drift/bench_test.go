package drift

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkCompare tests one window of 200 rows of 70 features (64
// numbers, as the digits' pixels, and a class) against a profile of 5,000
// rows: the drift watcher's work per window, off the request path.
func BenchmarkCompare(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	row := func() Row {
		x := Row{Num: map[string]float64{}, Cat: map[string]string{"logits.class": strconv.Itoa(r.IntN(10))}}
		for i := range 69 {
			x.Num["input["+strconv.Itoa(i)+"]"] = float64(r.IntN(17)) / 16
		}
		return x
	}
	p := NewProfile("m", 1, "bench")
	for range 5000 {
		p.Add(row())
	}
	window := make([]Row, 200)
	for i := range window {
		window[i] = row()
	}
	for b.Loop() {
		Compare(p, window, Config{})
	}
}
