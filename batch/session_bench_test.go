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

// BenchmarkSession compares one request straight to the sessions (a pool,
// as served without batching) with the same request through the batcher
// (two instances, as bench/run.sh configures it), on the digits CNN with
// the native engine: alone, and from 8 goroutines at once. The difference
// is what the batching path costs a request that does not wait.
func BenchmarkSession(b *testing.B) {
	var sessions []engine.Session
	for range 2 {
		s, err := engine.LoadPath(context.Background(), native.Engine{}, "../examples/models/digits/1/model.onnx", engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		sessions = append(sessions, s)
	}
	in := map[string]*tensor.Tensor{"input": tensor.MustFromSlice(make([]float32, 64), 1, 1, 8, 8)}
	pool := runner.NewPool("digits", sessions[:1])
	direct := func(ctx context.Context) error { _, err := pool.Run(ctx, in); return err }
	pool2 := runner.NewPool("digits", sessions)
	// InFlight as the server counts it: the requests admitted to the model.
	var admitted atomic.Int64
	cfg := Config{MaxBatchSize: 32, MaxQueueDelay: time.Millisecond, Instances: 2, InFlight: func() int { return int(admitted.Load()) }}
	obs := &rowCounter{}
	bt, err := New(cfg, pool2.RunOn, obs)
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
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := tc.call(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/parallel8", func(b *testing.B) {
			b.ReportAllocs()
			obs.reset()
			defer obs.report(b)
			defer reportCPU(b)()
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

// rowCounter is an Observer that reports the mean rows per call.
type rowCounter struct{ calls, rows atomic.Int64 }

func (c *rowCounter) Batch(rows int, _ time.Duration) { c.calls.Add(1); c.rows.Add(int64(rows)) }
func (c *rowCounter) Queued(time.Duration)            {}
func (c *rowCounter) QueueLength(int)                 {}
func (c *rowCounter) Rejected()                       {}
func (c *rowCounter) reset()                          { c.calls.Store(0); c.rows.Store(0) }

func (c *rowCounter) report(b *testing.B) {
	if n := c.calls.Load(); n > 0 {
		b.ReportMetric(float64(c.rows.Load())/float64(n), "rows/call")
	}
}

// reportCPU reports the process's CPU time (user and system) per
// operation, which a loaded machine inflates less than the wall time:
// call it at the start of a benchmark and the returned func at the end.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
