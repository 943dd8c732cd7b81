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
	idx := make([]int, 0, c.rows()-from)
	for j := from; j < c.rows(); j++ {
		idx = append(idx, j)
	}
	if sub := c.subset(idx); c.regress {
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
	if c.regress {
		c.yValue[dst] = c.yValue[src]
	} else {
		c.yTrue[dst] = c.yTrue[src]
	}
	copy(c.scores[dst*c.k:(dst+1)*c.k], c.scores[src*c.k:(src+1)*c.k])
	if c.weights != nil {
		c.weights[dst] = c.weights[src]
	}
	if c.groups != nil {
		c.groups[dst] = c.groups[src]
	}
	for i := range c.slices {
		c.slices[i][dst] = c.slices[i][src]
	}
}

// truncate keeps the first n rows.
func (c *collected) truncate(n int) {
	if c.regress {
		c.yValue = c.yValue[:n]
	} else {
		c.yTrue = c.yTrue[:n]
	}
	c.scores = c.scores[:n*c.k]
	if c.weights != nil {
		c.weights = c.weights[:n]
	}
	if c.groups != nil {
		c.groups = c.groups[:n]
	}
	for i := range c.slices {
		c.slices[i] = c.slices[i][:n]
	}
}
