package pipeline

import (
	"testing"
	"time"
)

// TestHelpers: branches go to idle helpers, new helpers start up to the
// limit and no further (the caller then runs the branch itself), and an
// idle helper ends.
func TestHelpers(t *testing.T) {
	h := &helpers{work: make(chan func()), max: 2, idle: 20 * time.Millisecond}
	release := make(chan struct{})
	ran := make(chan int, 3)
	for i := range 2 {
		if !h.hand(func() { <-release; ran <- i }) {
			t.Fatalf("branch %d: no helper, want a new one (limit 2)", i)
		}
	}
	if h.hand(func() { ran <- 2 }) {
		t.Fatal("a third branch went to a helper beyond the limit of 2")
	}
	close(release)
	got := map[int]bool{<-ran: true, <-ran: true}
	if !got[0] || !got[1] {
		t.Fatalf("branches run: %v, want 0 and 1", got)
	}
	handed := false
	for range 1000 { // until a helper waits for work again
		if handed = h.hand(func() { ran <- 3 }); handed {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !handed || <-ran != 3 || h.n.Load() > 2 {
		t.Fatalf("handed to an idle helper: %v; helpers %d, want at most 2", handed, h.n.Load())
	}
	for i := 0; h.n.Load() > 0; i++ { // idle helpers end
		if i == 1000 {
			t.Fatalf("%d helpers still running after being idle", h.n.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
