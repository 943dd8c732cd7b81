package evaluate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/inferd/inferd/evaluate/dataset"
)

// Options configure an evaluation.
type Options struct {
	// Data is the dataset; its Groups columns are the fairness groups
	// (intersected), its Slices columns the slices.
	Data dataset.Spec
	// Batch is the number of rows per Predict call (default 32).
	Batch int
	// TopK is the k of top_k_accuracy (default 5, at most the classes).
	TopK int
	// Bins is the number of calibration bins (default 10).
	Bins int
	// Bootstrap is the number of bootstrap draws of the headline metrics'
	// confidence intervals (default 200; negative: none), Level their
	// level (default 0.95), Seed their generator's seed.
	Bootstrap int
	Level     float64
	Seed      uint64
	// Positive is the positive class of the fairness rates (selection
	// rate, TPR, FPR); default the second class of a binary model.
	Positive string
	// MinGroupSize is the smallest group judged without a warning
	// (default 30).
	MinGroupSize int
	// Buckets cut numeric slice columns into ranges, by column name.
	Buckets map[string]Buckets
	// ExactRows bounds the rows kept for the figures that need them all at
	// once (default DefaultExactRows; negative: no bound). Up to it every
	// figure is exact; past it ROC and PR curves and AUCs, intervals,
	// slices and fairness come from a uniform sample of ExactRows rows
	// (seeded by Seed), while the overall counts, top-k, log loss,
	// calibration and regression figures still cover every row, exactly.
	ExactRows int
	// Progress, when set, is called after each batch with the rows done.
	Progress func(rows int)
}

func (o *Options) defaults(m *Model) {
	if o.Batch <= 0 {
		o.Batch = 32
	}
	if o.TopK <= 0 {
		o.TopK = 5
	}
	o.TopK = min(o.TopK, max(len(m.Classes), 1))
	if o.Bins <= 0 {
		o.Bins = 10
	}
	if o.Bootstrap == 0 {
		o.Bootstrap = 200
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = 0.95
	}
	if o.MinGroupSize <= 0 {
		o.MinGroupSize = 30
	}
	if o.ExactRows == 0 {
		o.ExactRows = DefaultExactRows
	}
}

// batchOf is a batch of rows read ahead, or the reading error.
type batchOf struct {
	rows []*dataset.Row
	err  error
}

// Run evaluates the target on the dataset: it streams the rows in
// batches (reading the next batch, and building its feature tensor, while
// the current one runs), keeps each row's label, scores, weight, group
// and slices compactly, and computes the report.
func Run(ctx context.Context, t Target, o Options) (*Report, error) {
	m := t.Model()
	o.defaults(m)
	for col := range o.Buckets {
		if !slices.Contains(o.Data.Slices, col) {
			return nil, fmt.Errorf("buckets of %q: it is not a slice column (--slice)", col)
		}
	}
	r, err := dataset.Open(o.Data)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rd := newReadAhead(r, o.Batch, t)
	go rd.run(ctx)

	c := newCollected(m, o.Data)
	c.buckets = o.Buckets
	c.sampler = sampler{limit: o.ExactRows, topK: o.TopK, bins: o.Bins, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
	var lat []time.Duration
	start := time.Now()
	for b := range rd.out {
		if b.err != nil {
			return nil, b.err
		}
		t0 := time.Now()
		scores, err := predict(ctx, t, b)
		if err != nil {
			return nil, fmt.Errorf("rows %s to %s: %w", b.rows[0].Where(), b.rows[len(b.rows)-1].Where(), err)
		}
		lat = append(lat, time.Since(t0))
		k, from := len(m.Classes), c.rows()
		if len(scores) != k*len(b.rows) {
			return nil, fmt.Errorf("the model answered %d scores for %d rows of %d classes", len(scores), len(b.rows), k)
		}
		for i, row := range b.rows {
			if err := c.add(row, scores[i*k:(i+1)*k], o.Data.Weight != ""); err != nil {
				return nil, err
			}
		}
		c.endBatch(from)
		if o.Progress != nil {
			o.Progress(c.seen)
		}
		rd.recycle(b)
	}
	if c.rows() == 0 {
		return nil, fmt.Errorf("dataset %s has no rows", o.Data.Path)
	}
	rep, err := c.report(m, o)
	if err != nil {
		return nil, err
	}
	rep.Dataset = o.Data.Path
	rep.Latency = latencyOf(lat, c.seen, time.Since(start))
	clean(rep)
	return rep, nil
}

// predict runs a batch: from its feature tensor when the reader built
// one, else from its rows.
func predict(ctx context.Context, t Target, b *batch) ([]float64, error) {
	if b.features != nil {
		return t.(TensorPredictor).PredictTensor(ctx, b.features)
	}
	return t.Predict(ctx, b.rows)
}

// Latency is how long the target took per batch.
type Latency struct {
	Batches int     `json:"batches"`
	P50     float64 `json:"p50_ms"`
	P90     float64 `json:"p90_ms"`
	P99     float64 `json:"p99_ms"`
	Mean    float64 `json:"mean_ms"`
	// SamplesPerSecond counts the time spent in the target only;
	// WallSamplesPerSecond the whole run, reading included.
	SamplesPerSecond     float64 `json:"samples_per_second"`
	WallSamplesPerSecond float64 `json:"wall_samples_per_second"`
}

func latencyOf(d []time.Duration, rows int, wall time.Duration) Latency {
	l := Latency{Batches: len(d)}
	if len(d) == 0 {
		return l
	}
	ms := make([]float64, len(d))
	total := 0.0
	for i, v := range d {
		ms[i] = float64(v) / 1e6
		total += ms[i]
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[min(len(ms)-1, int(q*float64(len(ms))))] }
	l.P50, l.P90, l.P99, l.Mean = at(0.5), at(0.9), at(0.99), total/float64(len(ms))
	l.SamplesPerSecond = float64(rows) / (total / 1e3)
	l.WallSamplesPerSecond = float64(rows) / wall.Seconds()
	return l
}
