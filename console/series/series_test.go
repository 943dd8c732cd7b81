package series

import (
	"math"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func TestBatchIndex(t *testing.T) {
	for _, tc := range []struct{ rows, want int }{{0, 0}, {1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {8, 3}, {9, 4}, {1024, 10}, {1025, 11}, {1 << 20, 11}} {
		if got := batchIndex(tc.rows); got != tc.want {
			t.Errorf("batchIndex(%d) = %d, want %d", tc.rows, got, tc.want)
		}
		if tc.rows > 0 && tc.want < batchBuckets-1 && tc.rows > batchUpper(tc.want) {
			t.Errorf("%d rows are above their bucket's bound %d", tc.rows, batchUpper(tc.want))
		}
	}
}

func TestLatIndexBounds(t *testing.T) {
	for _, d := range []time.Duration{0, 10 * time.Microsecond, 50 * time.Microsecond, 77 * time.Microsecond, time.Millisecond, 33 * time.Millisecond, time.Second, time.Minute} {
		i := latIndex(d)
		lo := 0.0
		if i > 0 {
			lo = latUpper(i - 1)
		}
		if s := d.Seconds(); s < lo || s >= latUpper(i) && i < latBuckets-1 {
			t.Errorf("%v went to bucket %d [%g, %g)", d, i, lo, latUpper(i))
		}
	}
}

func TestQuantiles(t *testing.T) {
	c := newClock()
	st := New(WithClock(c.now))
	for i := 1; i <= 1000; i++ { // 1..1000 ms: p50 500 ms, p99 990 ms
		st.Request("m", "1", 200, time.Duration(i)*time.Millisecond)
	}
	sum := st.Lookup("m", "1", "").Summary(time.Hour)
	for _, tc := range []struct {
		name      string
		got, want float64
	}{{"p50", sum.P50, 0.5}, {"p99", sum.P99, 0.99}} {
		if math.Abs(tc.got-tc.want)/tc.want > 0.2 { // within a √2 bucket
			t.Errorf("%s = %g, want %g within 20%%", tc.name, tc.got, tc.want)
		}
	}
	if sum.Requests != 1000 || sum.Errors != 0 {
		t.Errorf("requests %d errors %d, want 1000 and 0", sum.Requests, sum.Errors)
	}
}

func TestPointsAndRing(t *testing.T) {
	c := newClock()
	st := New(WithClock(c.now))
	st.Request("m", "1", 200, time.Millisecond)
	st.Request("m", "1", 500, time.Millisecond)
	c.add(Width)
	st.Request("m", "1", 429, 2*time.Millisecond)
	pts := st.Lookup("m", "1", "").Points(3)
	want := []struct{ req, errs uint64 }{{0, 0}, {2, 1}, {1, 1}}
	for i, w := range want {
		if pts[i].Requests != w.req || pts[i].Errors != w.errs {
			t.Errorf("point %d: %d requests, %d errors; want %d, %d", i, pts[i].Requests, pts[i].Errors, w.req, w.errs)
		}
	}
	if pts[2].T-pts[1].T != int64(Width/time.Second) {
		t.Errorf("points are %d s apart, want %v", pts[2].T-pts[1].T, Width)
	}
	// An hour later the same slots are reused: the old counts are gone.
	c.add(Slots * Width)
	st.Request("m", "1", 200, time.Millisecond)
	if sum := st.Lookup("m", "1", "").Summary(time.Hour); sum.Requests != 1 {
		t.Errorf("after an hour the summary has %d requests, want 1", sum.Requests)
	}
}

func TestBatchQueueShadow(t *testing.T) {
	st := New()
	se := st.Series("m", "2", "")
	for _, rows := range []int{1, 4, 4, 30} {
		se.Batch(rows)
	}
	se.Queued(3 * time.Millisecond)
	for _, r := range []string{"agree", "agree", "disagree", "error"} {
		st.Shadow("m", "2", r)
	}
	sum := se.Summary(time.Minute)
	if got := sum.BatchSizes[2].Count; got != 2 {
		t.Errorf("batches of 3-4 rows: %d, want 2", got)
	}
	if got := sum.BatchSizes[5].Count; got != 1 || sum.BatchSizes[5].Le != 32 {
		t.Errorf("batches up to 32 rows: %d (le %g), want 1 (le 32)", got, sum.BatchSizes[5].Le)
	}
	var queued uint64
	for _, q := range sum.QueueTimes {
		queued += q.Count
	}
	if queued != 1 || sum.Agree != 2 || sum.Disagree != 1 || sum.ShadowOther != 1 {
		t.Errorf("queued %d, shadow %d/%d/%d; want 1, 2/1/1", queued, sum.Agree, sum.Disagree, sum.ShadowOther)
	}
}

func TestForgetAndSteps(t *testing.T) {
	st := New()
	st.Series("p", "1", "b").Request(false, time.Millisecond)
	st.Series("p", "1", "a").Request(true, time.Millisecond)
	st.Request("p", "1", 200, time.Millisecond)
	if got := st.Steps("p", "1"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("steps %v, want [a b]", got)
	}
	st.Forget("p", "1")
	if st.Lookup("p", "1", "") != nil || len(st.Steps("p", "1")) != 0 {
		t.Error("Forget left series behind")
	}
	var nilStore *Store // a nil store records nothing and does not panic
	nilStore.Request("m", "1", 200, time.Millisecond)
	if pts := nilStore.Lookup("m", "1", "").Points(5); len(pts) != 5 || pts[4].Requests != 0 {
		t.Errorf("nil series points %v", pts)
	}
}

func BenchmarkRequest(b *testing.B) {
	st := New()
	for b.Loop() {
		st.Request("model", "3", 200, 700*time.Microsecond)
	}
}

// BenchmarkRequestParallel is every core recording into one version's
// series at once (the contended case).
func BenchmarkRequestParallel(b *testing.B) {
	st := New()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			st.Request("model", "3", 200, 700*time.Microsecond)
		}
	})
}
