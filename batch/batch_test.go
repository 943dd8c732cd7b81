package batch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferd/inferd/tensor"
)

// doubler returns x*2 as "y" and records the batch sizes it saw.
type doubler struct {
	mu      sync.Mutex
	batches []int
	fail    error
	gate    chan struct{} // when set, calls wait for it
}

func (d *doubler) run(_ context.Context, _ int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if d.gate != nil {
		<-d.gate
	}
	x := in["x"]
	d.mu.Lock()
	d.batches = append(d.batches, x.Shape()[0])
	d.mu.Unlock()
	if d.fail != nil {
		return nil, d.fail
	}
	src := tensor.Data[float32](x)
	y := make([]float32, len(src))
	for i, v := range src {
		y[i] = 2 * v
	}
	return map[string]*tensor.Tensor{"y": tensor.MustFromSlice(y, x.Shape()...)}, nil
}

func rows(base float32, n, width int) map[string]*tensor.Tensor {
	data := make([]float32, n*width)
	for i := range data {
		data[i] = base + float32(i)
	}
	return map[string]*tensor.Tensor{"x": tensor.MustFromSlice(data, n, width)}
}

func check(t *testing.T, in, out map[string]*tensor.Tensor) {
	t.Helper()
	x, y := tensor.Data[float32](in["x"]), tensor.Data[float32](out["y"])
	if !slices.Equal(in["x"].Shape(), out["y"].Shape()) {
		t.Fatalf("output shape %v for input %v", out["y"].Shape(), in["x"].Shape())
	}
	for i := range x {
		if y[i] != 2*x[i] {
			t.Fatalf("row data mixed up: y[%d] = %v for x = %v", i, y[i], x[i])
		}
	}
}

func TestBatching(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		sizes   []int // rows of each concurrent request
		batches []int // expected calls, sorted
	}{
		{"eight singles make one batch", Config{MaxBatchSize: 8, MaxQueueDelay: time.Second}, []int{1, 1, 1, 1, 1, 1, 1, 1}, []int{8}},
		{"real sizes count", Config{MaxBatchSize: 8, MaxQueueDelay: time.Second}, []int{3, 1, 4}, []int{8}},
		{"never over the maximum", Config{MaxBatchSize: 4, MaxQueueDelay: time.Second}, []int{3, 3, 2, 2}, []int{3, 3, 4}},
		{"oversized request runs alone, unsplit", Config{MaxBatchSize: 4, MaxQueueDelay: time.Second}, []int{9}, []int{9}},
		{"preferred size dispatches early", Config{MaxBatchSize: 64, MaxQueueDelay: time.Minute, PreferredBatchSizes: []int{4}}, []int{2, 2}, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &doubler{}
			b, err := New(tt.cfg, d.run, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			var wg sync.WaitGroup
			for i, n := range tt.sizes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					in := rows(float32(100*i), n, 3)
					out, timing, err := b.Do(context.Background(), in)
					if err != nil {
						t.Error(err)
						return
					}
					check(t, in, out)
					if timing.Batch < n || timing.Queue < 0 || timing.Compute <= 0 {
						t.Errorf("timing %+v for %d rows", timing, n)
					}
				}()
			}
			wg.Wait()
			slices.Sort(d.batches)
			want := slices.Sorted(slices.Values(tt.batches))
			if !slices.Equal(d.batches, want) {
				t.Errorf("calls %v, want %v", d.batches, want)
			}
		})
	}
}

func TestIncompatibleShapesDoNotMix(t *testing.T) {
	d := &doubler{gate: make(chan struct{})}
	b, _ := New(Config{MaxBatchSize: 8, MaxQueueDelay: 200 * time.Millisecond}, d.run, nil)
	defer b.Close()
	var wg sync.WaitGroup
	for i, width := range []int{3, 4, 3, 4} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := rows(float32(i), 1, width)
			out, _, err := b.Do(context.Background(), in)
			if err != nil {
				t.Error(err)
				return
			}
			check(t, in, out)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(d.gate)
	wg.Wait()
	if slices.Sort(d.batches); !slices.Equal(d.batches, []int{2, 2}) {
		t.Errorf("calls %v, want two batches of 2", d.batches)
	}
}

type counter struct{ rejected, batches atomic.Int64 }

func (c *counter) Batch(int, time.Duration) { c.batches.Add(1) }
func (c *counter) Queued(time.Duration)     {}
func (c *counter) QueueLength(int)          {}
func (c *counter) Rejected()                { c.rejected.Add(1) }

func TestQueueFullAndCancellation(t *testing.T) {
	d := &doubler{gate: make(chan struct{})}
	obs := &counter{}
	b, _ := New(Config{MaxBatchSize: 1, MaxQueueDelay: 0, MaxQueueSize: 2}, d.run, obs)
	// One request runs (blocked on the gate), two wait, the next is refused.
	results := make(chan error, 4)
	ctx, cancel := context.WithCancel(context.Background())
	for i := range 3 {
		c := context.Background()
		if i == 2 {
			c = ctx
		}
		go func() { _, _, err := b.Do(c, rows(0, 1, 2)); results <- err }()
		time.Sleep(30 * time.Millisecond)
	}
	_, _, err := b.Do(context.Background(), rows(0, 1, 2))
	if !errors.Is(err, ErrQueueFull) || obs.rejected.Load() != 1 {
		t.Fatalf("full queue: %v (rejected %d)", err, obs.rejected.Load())
	}
	if err := b.Admit(); !errors.Is(err, ErrQueueFull) || obs.rejected.Load() != 2 {
		t.Fatalf("Admit on a full queue: %v (rejected %d)", err, obs.rejected.Load())
	}
	cancel() // the third request leaves the queue
	if err := <-results; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	close(d.gate)
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Admit(); err != nil {
		t.Errorf("Admit on an empty queue: %v", err)
	}
	b.Close()
	if n := len(d.batches); n != 2 {
		t.Errorf("%d calls, want 2 (the cancelled request must not run)", n)
	}
	if _, _, err := b.Do(context.Background(), rows(0, 1, 2)); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestErrors(t *testing.T) {
	d := &doubler{fail: errors.New("engine exploded")}
	b, _ := New(Config{MaxBatchSize: 4, MaxQueueDelay: 50 * time.Millisecond}, d.run, nil)
	defer b.Close()
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := b.Do(context.Background(), rows(0, 1, 2)); err == nil || err.Error() != "engine exploded" {
				t.Errorf("err = %v", err)
			}
		}()
	}
	wg.Wait()

	bad := []map[string]*tensor.Tensor{
		{"x": tensor.Scalar(float32(1))},
		{"x": tensor.MustFromSlice([]float32{1, 2}, 2, 1), "z": tensor.MustFromSlice([]float32{1}, 1, 1)},
		{"x": tensor.MustFromSlice([]float32{}, 0, 3)},
	}
	for _, in := range bad {
		if _, _, err := b.Do(context.Background(), in); err == nil {
			t.Errorf("accepted %v", in)
		}
	}
	if _, err := New(Config{}, d.run, nil); err == nil {
		t.Error("New accepted max_batch_size 0")
	}
}

// A model whose output is not per row cannot be split back.
func TestUnsplittableOutput(t *testing.T) {
	run := func(context.Context, int, map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return map[string]*tensor.Tensor{"sum": tensor.MustFromSlice([]float32{1}, 1)}, nil
	}
	b, _ := New(Config{MaxBatchSize: 4, MaxQueueDelay: 100 * time.Millisecond}, run, nil)
	defer b.Close()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := b.Do(context.Background(), rows(0, 1, 2)); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 2 {
		t.Errorf("%d of 2 requests failed, want both (output cannot be split)", failed.Load())
	}
}

func TestConcatSplit(t *testing.T) {
	a := tensor.MustFromSlice([]int64{1, 2, 3, 4}, 2, 2)
	c := tensor.MustFromSlice([]int64{5, 6}, 1, 2)
	j, err := tensor.Concat(a, c)
	if err != nil || !slices.Equal(j.Shape(), []int{3, 2}) || !slices.Equal(tensor.Data[int64](j), []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("Concat = %v %v", j, err)
	}
	parts, err := tensor.Split(j, []int{1, 2})
	if err != nil || !slices.Equal(tensor.Data[int64](parts[1]), []int64{3, 4, 5, 6}) {
		t.Fatalf("Split = %v %v", parts, err)
	}
	if _, err := tensor.Concat(a, tensor.MustFromSlice([]int64{1, 2, 3}, 1, 3)); err == nil {
		t.Error("Concat of mismatched shapes")
	}
	if _, err := tensor.Split(j, []int{1, 1}); err == nil {
		t.Error("Split with wrong sizes")
	}
}

// TestNoGoroutinesOfItsOwn: the calls run on the requests' goroutines, so
// a batcher leaves nothing running behind.
func TestNoGoroutinesOfItsOwn(t *testing.T) {
	before := runtime.NumGoroutine()
	d := &doubler{}
	b, _ := New(Config{MaxBatchSize: 4, Instances: 3}, d.run, nil)
	if n := runtime.NumGoroutine(); n != before {
		t.Errorf("New started %d goroutines", n-before)
	}
	in := rows(1, 2, 3)
	out, timing, err := b.Do(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	check(t, in, out)
	if timing.Queue > time.Second || timing.Batch != 2 {
		t.Errorf("idle batcher: timing %+v, want the request run at once, alone", timing)
	}
	b.Close()
	if n := runtime.NumGoroutine(); n != before {
		t.Errorf("%d goroutines left after Close", n-before)
	}
}

// TestStress runs many concurrent requests, some cancelled at random
// moments, through batchers with one to three instances: every request
// that is answered gets its own rows, and Close returns (no instance is
// lost when leaders hand over or leave).
func TestStress(t *testing.T) {
	for _, cfg := range []Config{
		{MaxBatchSize: 8, Instances: 1},
		{MaxBatchSize: 8, MaxQueueDelay: 200 * time.Microsecond, Instances: 2},
		{MaxBatchSize: 5, MaxQueueDelay: time.Millisecond, Instances: 3, PreferredBatchSizes: []int{2}, MaxQueueSize: 16},
	} {
		t.Run(fmt.Sprintf("instances=%d/delay=%v", cfg.Instances, cfg.MaxQueueDelay), func(t *testing.T) {
			var used sync.Map
			run := func(ctx context.Context, instance int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
				if _, busy := used.LoadOrStore(instance, true); busy {
					t.Errorf("instance %d runs two calls at once", instance)
				}
				defer used.Delete(instance)
				if instance < 0 || instance >= cfg.Instances {
					t.Errorf("instance %d out of range", instance)
				}
				time.Sleep(time.Duration(rand.IntN(50)) * time.Microsecond)
				return (&doubler{}).run(ctx, instance, in)
			}
			b, _ := New(cfg, run, nil)
			var (
				wg                        sync.WaitGroup
				answered, cancelled, full atomic.Int64
			)
			for g := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 25 {
						in := rows(float32(1000*g+10*i), 1+rand.IntN(3), 2)
						ctx, cancel := context.WithCancel(context.Background())
						if rand.IntN(8) == 0 {
							time.AfterFunc(time.Duration(rand.IntN(300))*time.Microsecond, cancel)
						}
						out, _, err := b.Do(ctx, in)
						cancel()
						switch {
						case err == nil:
							check(t, in, out)
							answered.Add(1)
						case errors.Is(err, context.Canceled):
							cancelled.Add(1)
						case errors.Is(err, ErrQueueFull):
							full.Add(1)
						default:
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			closed := make(chan struct{})
			go func() { b.Close(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Fatal("Close hangs: an instance was lost")
			}
			if answered.Load() == 0 || answered.Load()+cancelled.Load()+full.Load() != 64*25 {
				t.Errorf("answered %d, cancelled %d, refused %d of %d", answered.Load(), cancelled.Load(), full.Load(), 64*25)
			}
			t.Logf("answered %d, cancelled %d, refused %d", answered.Load(), cancelled.Load(), full.Load())
		})
	}
}

// BenchmarkDo is the batcher's own cost per request around a runner that
// does nothing, alone and with 8 concurrent callers.
func BenchmarkDo(b *testing.B) {
	run := func(_ context.Context, _ int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		return map[string]*tensor.Tensor{"y": in["x"]}, nil
	}
	in := rows(0, 1, 64)
	b.Run("alone", func(b *testing.B) {
		bt, _ := New(Config{MaxBatchSize: 32}, run, nil)
		defer bt.Close()
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := bt.Do(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("queued", func(b *testing.B) {
		// One instance and calls that take 20µs: requests from 8
		// goroutines queue and share batches.
		slow := func(ctx context.Context, i int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
			for deadline := time.Now().Add(20 * time.Microsecond); time.Now().Before(deadline); {
			}
			return run(ctx, i, in)
		}
		bt, _ := New(Config{MaxBatchSize: 32}, slow, nil)
		defer bt.Close()
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := bt.Do(context.Background(), in); err != nil {
					b.Error(err)
				}
			}
		})
	})
	b.Run("parallel", func(b *testing.B) {
		bt, _ := New(Config{MaxBatchSize: 32}, run, nil)
		defer bt.Close()
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := bt.Do(context.Background(), in); err != nil {
					b.Error(err)
				}
			}
		})
	})
}

// TestInFlight: with Config.InFlight, a batch waits for the delay only
// while admitted requests have yet to reach Do; with two instances, also
// when both leaders wait for companions and every admitted request is
// queued.
func TestInFlight(t *testing.T) {
	for _, instances := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d instances", instances), func(t *testing.T) { testInFlight(t, instances) })
	}
}

func testInFlight(t *testing.T, instances int) {
	var inFlight atomic.Int64
	d := &doubler{}
	b, _ := New(Config{MaxBatchSize: 8, MaxQueueDelay: time.Minute, Instances: instances, InFlight: func() int { return int(inFlight.Load()) }}, d.run, nil)
	defer b.Close()

	// Alone: nothing else is coming, so no minute-long wait.
	inFlight.Store(1)
	done := make(chan error, 2)
	go func() { _, _, err := b.Do(context.Background(), rows(0, 1, 2)); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a lone request waited for the delay")
	}

	// Two admitted: the first waits for the second, and they run together.
	inFlight.Store(2)
	go func() { _, _, err := b.Do(context.Background(), rows(0, 1, 2)); done <- err }()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the first request ran although another was on its way")
	default:
	}
	go func() { _, _, err := b.Do(context.Background(), rows(0, 1, 2)); done <- err }()
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the two requests did not run")
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Equal(d.batches, []int{1, 2}) {
		t.Errorf("calls %v, want [1 2]: the lone request at once, then the pair together", d.batches)
	}
}
