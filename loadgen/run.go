package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one run.
type Config struct {
	// Concurrency is the number of workers of a closed-loop run, or the
	// most requests in flight of an open-loop run (default 1).
	Concurrency int
	// Rate > 0 makes the run open-loop: requests are scheduled Rate times
	// per second and their latency counts from the scheduled time.
	Rate float64
	// Duration and Requests bound the run; at least one must be set, and
	// the first reached ends it. Requests in flight at the end finish and
	// count.
	Duration time.Duration
	Requests int
	// Warmup is a run of this length, with the same settings, before the
	// measured one; its results are discarded.
	Warmup time.Duration
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// Progress, if set, is called every ProgressInterval (default 1s)
	// during the warm-up and the run, from another goroutine.
	Progress         func(Progress)
	ProgressInterval time.Duration
}

// Progress is a report on a run under way.
type Progress struct {
	Concurrency int
	Warmup      bool
	Elapsed     time.Duration
	OK, Failed  int64
	// Rate is the answers per second since the previous report.
	Rate float64
}

func (c *Config) validate() error {
	switch {
	case c.Concurrency < 0:
		return fmt.Errorf("concurrency %d: must be positive", c.Concurrency)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("rate %v: must be a positive number of requests per second", c.Rate)
	case c.Duration < 0 || c.Warmup < 0 || c.Timeout < 0:
		return errors.New("durations must not be negative")
	case c.Requests < 0:
		return fmt.Errorf("requests %d: must not be negative", c.Requests)
	case c.Duration == 0 && c.Requests == 0:
		return errors.New("unbounded run: set a duration or a number of requests")
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = time.Second
	}
	return nil
}

// Run warms up, then measures one run of t. When ctx is canceled it stops
// at once and returns what it measured so far with ctx's error.
func Run(ctx context.Context, t Target, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Warmup > 0 {
		w := cfg
		w.Duration, w.Requests = cfg.Warmup, 0
		if _, err := runOnce(ctx, t, w, true); err != nil {
			return nil, err
		}
	}
	return runOnce(ctx, t, cfg, false)
}

// Sweep runs cfg once per concurrency, in order. On an error it returns
// the results so far with it.
func Sweep(ctx context.Context, t Target, cfg Config, concurrencies []int) ([]*Result, error) {
	if len(concurrencies) == 0 {
		return nil, errors.New("no concurrency to run")
	}
	var results []*Result
	for _, c := range concurrencies {
		if c < 1 {
			return nil, fmt.Errorf("concurrency %d: must be positive", c)
		}
	}
	for _, c := range concurrencies {
		cfg.Concurrency = c
		r, err := Run(ctx, t, cfg)
		if r != nil {
			results = append(results, r)
		}
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// runner is one run under way.
type runner struct {
	t   Target
	cfg Config
	rec *recorder
}

// do sends one request under the per-request timeout and records it from
// start; a request cut short by the run's cancellation is not recorded.
func (r *runner) do(ctx context.Context, seq int, start time.Time) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	o := r.t.Do(rctx, seq)
	cancel()
	if ctx.Err() != nil {
		return
	}
	r.rec.record(time.Since(start), o)
}

func runOnce(ctx context.Context, t Target, cfg Config, warmup bool) (*Result, error) {
	r := &runner{t: t, cfg: cfg, rec: newRecorder()}
	res := &Result{Mode: "closed", Concurrency: cfg.Concurrency, Rate: cfg.Rate}
	if cfg.Rate > 0 {
		res.Mode = "open"
	}
	start := time.Now()
	var end time.Time
	if cfg.Duration > 0 {
		end = start.Add(cfg.Duration)
	}
	stop := r.progress(start, warmup)
	if cfg.Rate > 0 {
		res.Unsent = r.open(ctx, start, end)
	} else {
		r.closed(ctx, end)
	}
	res.Elapsed = time.Since(start)
	stop()
	r.rec.result(res)
	return res, ctx.Err()
}

// closed runs Concurrency workers that each send, wait and send again,
// until end (if not zero), Requests (if not zero) or cancellation.
func (r *runner) closed(ctx context.Context, end time.Time) {
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	limit := int64(r.cfg.Requests)
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				start := time.Now()
				if !end.IsZero() && !start.Before(end) {
					return
				}
				n := next.Add(1)
				if limit > 0 && n > limit {
					return
				}
				r.do(ctx, int(n-1), start)
			}
		})
	}
	wg.Wait()
}

// job is a scheduled request.
type job struct {
	seq int
	at  time.Time
}

// open schedules requests Rate times per second from start until end (if
// not zero), Requests (if not zero) or cancellation; Concurrency workers
// send them. A request waits for a free worker if need be, and its latency
// counts from its scheduled time all the same. It returns the number of
// requests due before end that no worker could take.
func (r *runner) open(ctx context.Context, start, end time.Time) (unsent int64) {
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		wg.Go(func() {
			for j := range jobs {
				r.do(ctx, j.seq, j.at)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)

	interval := float64(time.Second) / r.cfg.Rate
	due := func(i int) time.Time { return start.Add(time.Duration(float64(i) * interval)) }
	var endC <-chan time.Time
	if !end.IsZero() {
		et := time.NewTimer(time.Until(end))
		defer et.Stop()
		endC = et.C
	}
	wait := time.NewTimer(time.Hour)
	defer wait.Stop()
	for i := 0; r.cfg.Requests == 0 || i < r.cfg.Requests; i++ {
		at := due(i)
		if !end.IsZero() && !at.Before(end) {
			return 0
		}
		if d := time.Until(at); d > 0 {
			wait.Reset(d)
			select {
			case <-wait.C:
			case <-ctx.Done():
				return 0
			}
		}
		select {
		case jobs <- job{i, at}:
		case <-ctx.Done():
			return 0
		case <-endC:
			// Every worker was busy until the end: count what was due.
			n := int64(math.Ceil(float64(end.Sub(start)) / interval))
			if r.cfg.Requests > 0 {
				n = min(n, int64(r.cfg.Requests))
			}
			return max(n-int64(i), 0)
		}
	}
	return 0
}

// progress calls cfg.Progress every interval until the returned function
// is called.
func (r *runner) progress(start time.Time, warmup bool) (stop func()) {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(r.cfg.ProgressInterval)
		defer tick.Stop()
		var last int64
		lastT := start
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				ok, failed := r.rec.nOK.Load(), r.rec.nFailed.Load()
				p := Progress{Concurrency: r.cfg.Concurrency, Warmup: warmup, Elapsed: now.Sub(start), OK: ok, Failed: failed}
				if dt := now.Sub(lastT).Seconds(); dt > 0 {
					p.Rate = float64(ok+failed-last) / dt
				}
				last, lastT = ok+failed, now
				r.cfg.Progress(p)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
