package evaluate

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/inferd/inferd/evaluate/dataset"
)

// The rows kept past the limit are a uniform sample: each row of the
// dataset is as likely to be kept, whatever its place.
func TestSampleIsBoundedAndUniform(t *testing.T) {
	const rows, limit, batch = 20_000, 1_000, 32
	c := newCollected(&Model{Classes: []string{"0", "1"}}, dataset.Spec{Slices: []string{"id"}})
	c.sampler = sampler{limit: limit, topK: 1, bins: 10, rng: rand.New(rand.NewPCG(1, 2))}
	row := &dataset.Row{Slices: []string{""}}
	for from := 0; from < rows; from += batch {
		kept := c.rows()
		for i := from; i < min(from+batch, rows); i++ {
			row.Label, row.Slices[0] = strconv.Itoa(i%2), strconv.Itoa(i)
			if err := c.add(row, []float64{0.25, 0.75}); err != nil {
				t.Fatal(err)
			}
		}
		c.endBatch(kept)
		if c.rows() > limit {
			t.Fatalf("%d rows kept after %d, limit %d", c.rows(), c.seen, limit)
		}
	}
	early, seen := 0, map[int32]bool{}
	for j, id := range c.slices[0].all() {
		if seen[id] {
			t.Fatalf("row %s kept twice", c.sliceKeys[0].names[id])
		}
		seen[id] = true
		if n, _ := strconv.Atoi(c.sliceKeys[0].names[id]); n < rows/2 {
			early++
		}
		if want := int32(mustAtoi(t, c.sliceKeys[0].names[id]) % 2); c.yTrue.at(j) != want {
			t.Fatalf("kept row %d has label %d, want %d", j, c.yTrue.at(j), want)
		}
	}
	// Binomial(1000, 0.5): 5 standard deviations are ±79.
	if c.rows() != limit || early < 421 || early > 579 {
		t.Fatalf("%d rows kept, %d of them from the first half", c.rows(), early)
	}
	if got := c.sampler.tally.counts[1][1] + c.sampler.tally.counts[0][1]; got != rows {
		t.Fatalf("tally counted %v rows, want %d", got, rows)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
