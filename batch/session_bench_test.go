package batch

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkSession compares one request straight to the sessions (a pool
// of one, as served without batching) with the same request through the
// batcher (two instances, as bench/run.sh configures it), with the native
// engine on the digits CNN (the engine a small part of a request) and the
// transformer encoder (the engine most of it): alone, and from 8
// goroutines at once. Besides time and allocations it reports the CPU
// time per request, the mean rows per engine call and the mean number of
// engine calls in flight when one starts.
func BenchmarkSession(b *testing.B) {
	models := []struct {
		name, path string
		input      *tensor.Tensor
	}{
		{"digits", "../examples/models/digits/1/model.onnx", tensor.MustFromSlice(make([]float32, 64), 1, 1, 8, 8)},
		{"transformer", "../examples/zoo/transformer_encoder/model.onnx", tensor.MustFromSlice(make([]int64, 12), 1, 12)},
	}
	for _, m := range models {
		b.Run(m.name, func(b *testing.B) {
			var sessions []engine.Session
			for range 2 {
				s, err := engine.LoadPath(context.Background(), native.Engine{}, m.path, engine.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				sessions = append(sessions, s)
			}
			name := sessions[0].Inputs()[0].Name
			benchPaths(b, sessions, map[string]*tensor.Tensor{name: m.input})
		})
	}
}

// benchPaths runs the direct and batched sub-benchmarks on two sessions.
func benchPaths(b *testing.B, sessions []engine.Session, in map[string]*tensor.Tensor) {
	stats := &callStats{}
	pool := runner.NewPool("direct", sessions[:1])
	direct := func(ctx context.Context) error {
		defer stats.enter()()
		_, err := pool.Run(ctx, in)
		return err
	}
	pool2 := runner.NewPool("batched", sessions)
	// InFlight as the server counts it: the requests admitted to the model.
	var admitted atomic.Int64
	cfg := Config{MaxBatchSize: 32, MaxQueueDelay: time.Millisecond, Instances: 2, InFlight: func() int { return int(admitted.Load()) }}
	bt, err := New(cfg, func(ctx context.Context, i int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		defer stats.enter()()
		stats.rows.Add(int64(runner.BatchRows(in)))
		return pool2.RunOn(ctx, i, in)
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bt.Close()
	batched := func(ctx context.Context) error {
		admitted.Add(1)
		defer admitted.Add(-1)
		_, _, err := bt.Do(ctx, in)
		return err
	}
	for _, tc := range []struct {
		name string
		call func(context.Context) error
	}{{"direct", direct}, {"batched", batched}} {
		b.Run(tc.name+"/alone", func(b *testing.B) {
			defer stats.report(b)()
			for b.Loop() {
				if err := tc.call(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/parallel8", func(b *testing.B) {
			defer stats.report(b)()
			defer reportPolicy(b, bt)()
			b.SetParallelism(4) // 8 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := tc.call(context.Background()); err != nil {
						b.Error(err)
					}
				}
			})
		})
	}
}

// callStats counts engine calls, their rows and how many were in flight
// when each started.
type callStats struct{ calls, rows, inFlight, concurrent atomic.Int64 }

func (c *callStats) enter() func() {
	c.calls.Add(1)
	c.concurrent.Add(c.inFlight.Add(1))
	return func() { c.inFlight.Add(-1) }
}

// report resets the counts and returns the func that reports them, with
// the process's CPU time per operation (which a loaded machine inflates
// less than the wall time).
func (c *callStats) report(b *testing.B) func() {
	b.ReportAllocs()
	c.calls.Store(0)
	c.rows.Store(0)
	c.concurrent.Store(0)
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		if n := float64(c.calls.Load()); n > 0 {
			if r := c.rows.Load(); r > 0 {
				b.ReportMetric(float64(r)/n, "rows/call")
			}
			b.ReportMetric(float64(c.concurrent.Load())/n, "calls-in-flight")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPolicy returns the func that reports the share of the epochs in
// which batches could wait (policy.go), and the measured gain of waiting.
func reportPolicy(b *testing.B, bt *Batcher) func() {
	epochs0, waited0, _ := bt.policy.state()
	return func() {
		epochs, waited, gain := bt.policy.state()
		if epochs > epochs0 {
			b.ReportMetric(float64(waited-waited0)/float64(epochs-epochs0), "waiting-epochs")
			b.ReportMetric(gain, "wait-gain")
		}
	}
}
