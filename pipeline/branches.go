package pipeline

import (
	"runtime"
	"sync/atomic"
	"time"
)

// helpers run the branches of requests that can run beside the one their
// goroutine goes on with. A helper is a goroutine that stays for the next
// branch after one ends, so its stack stays grown to what the steps need:
// a new goroutine per branch grows a fresh stack to the engine's depth on
// every request, which costs a model as small as the digits CNN half as
// much again. Helpers are at most GOMAXPROCS: when none is idle the CPUs
// are busy anyway, and the branch waits for its request's goroutine
// (running it there costs nothing extra). A helper left idle for a while
// ends.
type helpers struct {
	work chan func()
	n    atomic.Int32
	max  int32
	idle time.Duration
}

func newHelpers() *helpers {
	return &helpers{work: make(chan func()), max: int32(runtime.GOMAXPROCS(0)), idle: 10 * time.Second}
}

// hand runs f on a helper and reports true, or reports false when every
// helper is busy and there are as many as there may be.
func (h *helpers) hand(f func()) bool {
	select {
	case h.work <- f:
		return true
	default:
	}
	if h.n.Add(1) > h.max {
		h.n.Add(-1)
		return false
	}
	go h.loop(f)
	return true
}

// loop runs f, then the branches handed to it until it has been idle for
// h.idle.
func (h *helpers) loop(f func()) {
	t := time.NewTimer(h.idle)
	defer t.Stop()
	for {
		f()
		t.Reset(h.idle)
		select {
		case f = <-h.work:
		case <-t.C:
			h.n.Add(-1)
			return
		}
	}
}
