package evaluate

import "math/rand/v2"

// DefaultExactRows is how many rows an evaluation keeps by default: up to
// it every figure is exact; beyond it the rows kept are a uniform sample
// (Options.ExactRows).
const DefaultExactRows = 100_000

// sampler bounds the rows that collected keeps: past limit it keeps a
// uniform reservoir of limit rows (Vitter's algorithm R, seeded), and the
// tally of every row's overall figures.
type sampler struct {
	limit, topK, bins int
	rng               *rand.Rand
	tally             *tally
	// idx and sub are endBatch's, reused from batch to batch.
	idx []int
	sub subset
}

// endBatch tallies and samples the rows from index from on, the batch
// just added. Until the kept rows first pass the limit it does nothing;
// then it tallies every kept row and, from there on, each new batch.
func (c *collected) endBatch(from int) {
	s := &c.sampler
	if s.limit <= 0 || c.rows() <= s.limit {
		return
	}
	if s.tally == nil {
		s.tally = newTally(c.k, s.topK, s.bins)
		from = 0
	}
	s.idx = s.idx[:0]
	for j := from; j < c.rows(); j++ {
		s.idx = append(s.idx, j)
	}
	if sub := c.subsetInto(&s.sub, s.idx); c.regress {
		s.tally.addValues(sub)
	} else {
		s.tally.addClasses(sub)
	}
	for p := max(from, s.limit); p < c.rows(); p++ {
		n := c.seen - (c.rows() - p) // the row's index in the dataset
		if j := s.rng.IntN(n + 1); j < s.limit {
			c.move(j, p)
		}
	}
	c.truncate(s.limit)
}

// move copies kept row src over kept row dst.
func (c *collected) move(dst, src int) {
	for _, col := range c.kept {
		col.move(dst, src)
	}
}

// truncate keeps the first n rows, and the columns' blocks for the next
// batches.
func (c *collected) truncate(n int) {
	for _, col := range c.kept {
		col.truncate(n)
	}
}
