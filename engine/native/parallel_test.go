package native

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countBody counts the calls covering each item, and when nested is set
// runs a parallel region of its own per item, as convGemm does per band.
type countBody struct {
	hits   []atomic.Int32
	nested *countBody
}

func (b *countBody) do(lo, hi int) {
	for i := lo; i < hi; i++ {
		b.hits[i].Add(1)
		if b.nested != nil {
			parallelRange(2, len(b.nested.hits), 1, b.nested)
		}
	}
}

// TestParallelRange runs regions from several goroutines at once (so that
// tasks are recycled while helpers may still hold them) and checks that
// every item is computed exactly once.
func TestParallelRange(t *testing.T) {
	tests := []struct {
		n, grain, threads int
		nested            bool
	}{
		{1, 1, 2, false},
		{7, 1, 2, false},
		{100, 3, 4, false},
		{1000, 1000, 2, false},
		{64, 1, 2, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("n=%d/grain=%d/threads=%d/nested=%v", tc.n, tc.grain, tc.threads, tc.nested), func(t *testing.T) {
			const callers, regions = 4, 50
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b := &countBody{hits: make([]atomic.Int32, tc.n)}
					var inner *countBody
					if tc.nested {
						inner = &countBody{hits: make([]atomic.Int32, 8)}
						b.nested = inner
					}
					for r := 1; r <= regions; r++ {
						parallelRange(tc.threads, tc.n, tc.grain, b)
						for i := range b.hits {
							if got := b.hits[i].Load(); got != int32(r) {
								errs <- fmt.Errorf("region %d: item %d computed %d times in all, want %d", r, i, got, r)
								return
							}
						}
					}
					if inner != nil {
						for i := range inner.hits {
							if got, want := inner.hits[i].Load(), int32(regions*tc.n); got != want {
								errs <- fmt.Errorf("nested item %d computed %d times, want %d", i, got, want)
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// panicBody panics in the chunk holding item at.
type panicBody struct{ at int }

func (b *panicBody) do(lo, hi int) {
	if lo <= b.at && b.at < hi {
		panic(kernelError{fmt.Errorf("item %d failed", b.at)})
	}
}

// TestParallelRangePanic checks that a panic in any chunk reaches the
// caller, every time, and that the recycled tasks still work afterwards.
func TestParallelRangePanic(t *testing.T) {
	for i := range 100 {
		func() {
			defer func() {
				r := recover()
				if ke, ok := r.(kernelError); !ok || ke.err.Error() != fmt.Sprintf("item %d failed", i%16) {
					t.Fatalf("recovered %v, want the chunk's kernelError", r)
				}
			}()
			parallelRange(2, 16, 1, &panicBody{at: i % 16})
		}()
	}
	b := &countBody{hits: make([]atomic.Int32, 16)}
	parallelRange(2, 16, 1, b)
	for i := range b.hits {
		if b.hits[i].Load() != 1 {
			t.Fatalf("item %d computed %d times after panics", i, b.hits[i].Load())
		}
	}
}

// TestParallelRangeAllocs checks that a steady-state region over a
// rangeBody allocates nothing, on helpers or not.
func TestParallelRangeAllocs(t *testing.T) {
	b := &countBody{hits: make([]atomic.Int32, 64)}
	for range 100 {
		parallelRange(2, 64, 1, b)
	}
	const regions = 2000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range regions {
		parallelRange(2, 64, 1, b)
	}
	runtime.ReadMemStats(&after)
	// A task may still be added to the pool when a helper is slow to let
	// go of one; steady state is far below one allocation per region.
	if per := float64(after.Mallocs-before.Mallocs) / regions; per > 0.05 {
		t.Errorf("%.3f allocations per region, want none", per)
	}
}

// TestParallelRangeReservations checks that regions hand back every helper
// reservation, of helpers that worked, came late or never came (tiny
// regions that the caller finishes alone, nested regions filling the
// queue), so that once the helpers are idle no core is counted busy.
func TestParallelRangeReservations(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core: regions take no helpers")
	}
	big := &countBody{hits: make([]atomic.Int32, 256)}
	tiny := &countBody{hits: make([]atomic.Int32, 2)}
	nested := &countBody{hits: make([]atomic.Int32, 16), nested: &countBody{hits: make([]atomic.Int32, 4)}}
	for range 500 {
		parallelRange(2, len(big.hits), 1, big)
		parallelRange(2, len(tiny.hits), 1, tiny)
		parallelRange(2, len(nested.hits), 1, nested)
	}
	// Helpers let go of their last reservation asynchronously; wait for
	// them (a bounded wait, not a timing assertion).
	for range 5000 {
		if busy.Load() == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("busy = %d with every region done, want 0", busy.Load())
}

// TestParallelClaimEnds claims a task's chunks from both ends at once:
// every chunk goes exactly once, the front in increasing order and the
// back in decreasing order, so each side's chunks are contiguous.
func TestParallelClaimEnds(t *testing.T) {
	for _, chunks := range []int{1, 2, 7, 64, 1000} {
		var task parallelTask
		task.ends.Store(uint64(chunks) << 32)
		got := make([][]int, 2)
		var wg sync.WaitGroup
		for side := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := task.claim(side == 0); i >= 0; i = task.claim(side == 0) {
					got[side] = append(got[side], i)
				}
			}()
		}
		wg.Wait()
		front, back := got[0], got[1]
		if len(front)+len(back) != chunks {
			t.Fatalf("%d chunks: claimed %d from the front and %d from the back", chunks, len(front), len(back))
		}
		for i, c := range front {
			if c != i {
				t.Fatalf("%d chunks: front claim %d got chunk %d", chunks, i, c)
			}
		}
		for i, c := range back {
			if c != chunks-1-i {
				t.Fatalf("%d chunks: back claim %d got chunk %d", chunks, i, c)
			}
		}
	}
}

// slowBody sleeps for the chunks after the first, so that a region's
// caller, done with its own chunk, waits for a helper's longer than
// callerSpin and blocks on finished.
type slowBody struct{ hits []atomic.Int32 }

func (b *slowBody) do(lo, hi int) {
	for i := lo; i < hi; i++ {
		if i > 0 {
			time.Sleep(2 * callerSpin)
		}
		b.hits[i].Add(1)
	}
}

// TestParallelWaitBlocks runs regions whose helper chunks outlast the
// caller's polling: every item is still computed once, and the task goes
// back to the pool with its finished token taken.
func TestParallelWaitBlocks(t *testing.T) {
	for run := range 5 {
		b := &slowBody{hits: make([]atomic.Int32, 2)}
		parallelRange(2, 2, 1, b)
		for i := range b.hits {
			if n := b.hits[i].Load(); n != 1 {
				t.Fatalf("run %d: item %d computed %d times", run, i, n)
			}
		}
	}
	// A recycled task must not hold a stale token: a quick region that
	// follows returns only after its own chunks.
	b := &countBody{hits: make([]atomic.Int32, 64)}
	parallelRange(2, 64, 1, b)
	for i := range b.hits {
		if n := b.hits[i].Load(); n != 1 {
			t.Fatalf("item %d computed %d times", i, n)
		}
	}
}

// TestPostedSoon checks the helper's choice to poll after a task: by when
// the task was posted, however late it arrived.
func TestPostedSoon(t *testing.T) {
	idle := time.Now()
	tests := []struct {
		name  string
		after time.Duration
		want  bool
	}{
		{"posted before the helper was idle", -time.Millisecond, true},
		{"posted at once", 0, true},
		{"posted within helperSpin", helperSpin / 2, true},
		{"posted after helperSpin", 2 * helperSpin, false},
	}
	for _, tt := range tests {
		if got := postedSoon(idle, idle.Add(tt.after)); got != tt.want {
			t.Errorf("%s: postedSoon = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestLingerOn checks a helper's choice to go on polling past helperSpin:
// while fewer helpers linger than the runs in progress want, counting
// itself in; and to stop, counting itself out, once more linger than
// they want.
func TestLingerOn(t *testing.T) {
	tests := []struct {
		name      string
		held      bool
		lingering int64
		want      int64
		ok        bool
		after     int64
	}{
		{"no run wants a helper", false, 0, 0, false, 0},
		{"a run wants one, none lingers", false, 0, 1, true, 1},
		{"a run wants one, one lingers already", false, 1, 1, false, 1},
		{"two runs want two, one lingers", false, 1, 2, true, 2},
		{"lingering, still wanted", true, 1, 1, true, 1},
		{"lingering, the run ended", true, 1, 0, false, 0},
		{"lingering, one too many", true, 3, 2, false, 2},
	}
	for _, tt := range tests {
		var n atomic.Int64
		n.Store(tt.lingering)
		if got := lingerOn(tt.held, &n, tt.want); got != tt.ok || n.Load() != tt.after {
			t.Errorf("%s: lingerOn = %v with %d lingering, want %v with %d", tt.name, got, n.Load(), tt.ok, tt.after)
		}
	}
}

// TestHelpersLinger checks that a helper goes on polling past helperSpin
// while a run on two threads is in progress, and stops once it ends (the
// waits are bounded, not timing assertions).
func TestHelpersLinger(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core: no helper")
	}
	waitFor := func(what string, cond func() bool) {
		for range 5000 {
			if cond() {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatalf("%s: lingering = %d, wanted = %d", what, lingering.Load(), wanted.Load())
	}
	enterRun(2)
	exited := false
	defer func() {
		if !exited {
			exitRun(2)
		}
	}()
	b := &countBody{hits: make([]atomic.Int32, 64)}
	for range 20 {
		parallelRange(2, 64, 1, b) // a helper arrives and then polls
	}
	waitFor("during a two-thread run", func() bool { return lingering.Load() >= 1 })
	exitRun(2)
	exited = true
	waitFor("after the run", func() bool { return lingering.Load() == 0 })
}
