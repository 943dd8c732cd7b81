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

// Run evaluates the target on the dataset: it streams the rows in
// batches and keeps each row's label, scores, weight, group and slices
// compactly, then computes the report. Reading the next batches (and
// building their feature tensor) and recording the batches done run on
// their own goroutine (side), beside the target's, from the target's
// warm-up on; the target's goroutine records the last batches itself.
func Run(ctx context.Context, t Target, o Options) (*Report, error) {
	m := t.Model()
	o.defaults(m)
	if err := checkBatch(m, o.Batch); err != nil {
		return nil, err
	}
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
	c := newCollected(m, o.Data)
	c.buckets = o.Buckets
	c.sampler = sampler{limit: o.ExactRows, topK: o.TopK, bins: o.Bins, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := newSide(r, t, c, &o)
	begin := time.Now()
	go s.run(ctx) // reads the first batches while the target warms up
	// A model that fails on zeros fails on the first batch too, and that
	// error names the rows; one that fails on zeros only is timed cold,
	// and the report says so.
	warmErr := warmUp(ctx, t, s, o.Batch)
	start := time.Now()
	lat, err := runBatches(ctx, t, s)
	s.finish(ctx)
	loop := time.Since(start)
	<-s.finished
	if s.err != nil { // from rows before any that runBatches failed on
		return nil, s.err
	}
	if err == nil {
		err = ctx.Err() // the side goroutine stopped on it
	}
	if err != nil {
		return nil, err
	}
	if c.rows() == 0 {
		return nil, fmt.Errorf("dataset %s has no rows", o.Data.Path)
	}
	rep, err := c.report(m, o)
	if err != nil {
		return nil, err
	}
	rep.Dataset = o.Data.Path
	rep.Latency = latencyOf(lat, c.seen, loop, time.Since(begin))
	if warmErr != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("latency includes the model's first runs at this batch size (planning, buffer sizing): the warm-up failed: %v", warmErr))
	}
	clean(rep)
	return rep, nil
}

// warmUp warms a Warmer target at the loop's batch size and then, when
// the side goroutine has meanwhile read to the dataset's end and its last
// batch is not full (a small dataset, read ahead whole during the
// warm-up), at that batch's size too, and once more at the batch size:
// the loop's first and last batches then both run shapes the target has
// run (an engine plans and sizes its buffers per shape, and keeps some of
// that for the shape it ran last only). A larger dataset's last batch
// runs cold: one batch among many.
func warmUp(ctx context.Context, t Target, s *side, batch int) error {
	w, ok := t.(Warmer)
	if !ok {
		return nil
	}
	rows := min(batch, maxWarmRows)
	if err := w.Warm(ctx, rows); err != nil {
		return err
	}
	if n := int(s.tail.Load()); n > 0 && n < rows {
		if err := w.Warm(ctx, n); err != nil {
			return err
		}
		return w.Warm(ctx, rows)
	}
	return nil
}

// runBatches runs the batches the side goroutine reads and hands their
// results back to it, timing the target's calls, until the batches end,
// one fails to read or run, or ctx is cancelled.
func runBatches(ctx context.Context, t Target, s *side) ([]time.Duration, error) {
	var lat []time.Duration
	for ch := range s.out {
		if len(s.out) <= cap(s.out)/2 {
			s.askMore()
		}
		var err error
		for _, b := range ch.batches {
			if err = b.err; err == nil {
				err = ctx.Err()
			}
			if err != nil {
				break
			}
			t0 := time.Now()
			r := result{b: b}
			if b.features != nil {
				if r.out, err = s.tp.RunTensor(ctx, b.features); err == nil {
					r.keep(s.tp)
				}
			} else {
				r.scores, err = t.Predict(ctx, b.rows)
			}
			if err != nil {
				err = fmt.Errorf("rows %s to %s: %w", b.rows[0].Where(), b.rows[len(b.rows)-1].Where(), err)
				break
			}
			lat = append(lat, time.Since(t0))
			ch.results = append(ch.results, r)
		}
		// The rows before a failure are recorded: an error in them comes
		// first. done has room for every chunk in flight; if it ever had
		// none, the side goroutine is asked to empty it.
		select {
		case s.done <- ch:
		default:
			s.askMore()
			select {
			case s.done <- ch:
			case <-ctx.Done():
				return lat, ctx.Err()
			}
		}
		if err != nil {
			return lat, err
		}
	}
	return lat, nil
}

// askMore wakes the side goroutine, unless it has been asked already, to
// record the results waiting and read more batches.
func (s *side) askMore() {
	select {
	case s.want <- struct{}{}:
	default:
	}
}

// Latency is how long the target took per batch.
type Latency struct {
	Batches int     `json:"batches"`
	P50     float64 `json:"p50_ms"`
	P90     float64 `json:"p90_ms"`
	P99     float64 `json:"p99_ms"`
	Mean    float64 `json:"mean_ms"`
	// SamplesPerSecond counts the time spent in the target only;
	// LoopSamplesPerSecond the time from the target's first batch (after
	// its warm-up, during which the first rows are read) to the last
	// batch's rows recorded (reading, the target and recording, which
	// overlap); WallSamplesPerSecond the whole run from the opened
	// dataset on, the target's warm-up (Warmer) and the report included.
	SamplesPerSecond     float64 `json:"samples_per_second"`
	LoopSamplesPerSecond float64 `json:"loop_samples_per_second"`
	WallSamplesPerSecond float64 `json:"wall_samples_per_second"`
}

func latencyOf(d []time.Duration, rows int, loop, wall time.Duration) Latency {
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
	l.LoopSamplesPerSecond = float64(rows) / loop.Seconds()
	l.WallSamplesPerSecond = float64(rows) / wall.Seconds()
	return l
}
