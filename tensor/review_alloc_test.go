package tensor

import (
	"runtime"
	"strings"
	"testing"
)

// TestReviewFastDeclinesWithoutAllocating (review s12): the direct decoder
// declines a numeric tensor holding a string (the general decoder then
// refuses it), and must not first allocate a number's worth of memory per
// comma inside that string: the server's memory budget charges a string
// as one JSON value (jsonLeaves), however many commas it holds.
func TestReviewFastDeclinesWithoutAllocating(t *testing.T) {
	raw := []byte(`[1, "` + strings.Repeat(",", 1<<20) + `"]`)
	for _, dt := range []DType{Float32, Int64, Float64} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, ok := fastFromJSON(raw, dt)
		runtime.ReadMemStats(&after)
		if ok {
			t.Fatalf("%v: took a string", dt)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > uint64(len(raw))/4 {
			t.Errorf("%v: declining allocated %d bytes for %d bytes of JSON (%.1f per byte)", dt, got, len(raw), float64(got)/float64(len(raw)))
		}
	}
}
