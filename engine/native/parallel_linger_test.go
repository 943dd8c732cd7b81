package native

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Reviewer's tests of the lingering helpers (s10-review-t2).

// wakeHelper runs regions on two threads until a helper took part in
// one, so that it polls afterwards; it reports whether one did.
func wakeHelper() bool {
	for range 200 {
		b := &countBody{hits: make([]atomic.Int32, 64)}
		before := helperRegions.Load()
		parallelRange(2, 64, 1, funcBody(func(lo, hi int) {
			if lo > 0 { // a helper claims from the back
				helperRegions.Add(1)
			}
			b.do(lo, hi)
		}))
		if helperRegions.Load() > before {
			return true
		}
	}
	return false
}

var helperRegions atomic.Int64

// TestHelperDoesNotLingerWhenNoCoreIsFree: two runs in progress at once
// on two cores (a server's concurrent requests; sessions default to
// IntraOpThreads = GOMAXPROCS = 2) count every core busy, so no run can
// reserve a helper (reserveHelpers returns 0): a helper polling then only
// takes a P, and a core, from the runs. lingerOn compares lingering with
// wanted (the runs' threads-1) and not with the helpers a run can
// reserve, so the helper polls for as long as requests keep coming,
// calling osYield, which does not yield its P to the runs' goroutines
// (only Go's 10 ms preemption takes it).
func TestHelperDoesNotLingerWhenNoCoreIsFree(t *testing.T) {
	if runtime.GOMAXPROCS(0) != 2 {
		t.Skip("needs GOMAXPROCS 2")
	}
	for _, second := range []int{2, 1} {
		t.Run(fmt.Sprintf("requests of 2 and %d threads", second), func(t *testing.T) {
			enterRun(2) // request A
			defer exitRun(2)
			if !wakeHelper() {
				t.Skip("the helper never took part (the other core is held)")
			}
			for i := 0; lingering.Load() == 0; i++ { // past helperSpin
				if i == 2000 {
					t.Skip("the helper does not linger with one request in progress")
				}
				time.Sleep(time.Millisecond)
			}
			enterRun(second) // request B, concurrent
			defer exitRun(second)
			if got := reserveHelpers(1); got != 0 {
				t.Fatalf("reserveHelpers = %d with both cores running requests, want 0", got)
			}
			for range 2000 {
				if lingering.Load() == 0 {
					return
				}
				time.Sleep(time.Millisecond)
			}
			t.Fatalf("a helper still lingers after 2 s (lingering = %d, wanted = %d, busy = %d) though no run can reserve it",
				lingering.Load(), wanted.Load(), busy.Load())
		})
	}
}
