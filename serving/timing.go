package serving

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/inferd/inferd/tensor"
)

// Timing says where a request spent its time in the model: waiting in the
// batcher's queue and running in the engine, and the rows of the call it
// ran in.
type Timing struct {
	Queue   time.Duration
	Compute time.Duration
	Batch   int
}

// String renders the timing as the Inferd-Timing header value:
// queue=<µs>;compute=<µs>;batch=<rows>.
func (t Timing) String() string {
	return fmt.Sprintf("queue=%d;compute=%d;batch=%d", t.Queue.Microseconds(), t.Compute.Microseconds(), t.Batch)
}

type timingKey struct{}

// timingRecorder collects the timings of the runs of one request.
type timingRecorder struct {
	mu sync.Mutex
	t  Timing
	n  int
}

// WithTiming returns a context in which runs record their timing; Timing
// reads it back.
func WithTiming(ctx context.Context) context.Context {
	return context.WithValue(ctx, timingKey{}, &timingRecorder{})
}

// TimingOf returns what the runs under ctx recorded, and whether any run
// did.
func TimingOf(ctx context.Context) (Timing, bool) {
	r, ok := ctx.Value(timingKey{}).(*timingRecorder)
	if !ok {
		return Timing{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t, r.n > 0
}

func recordTiming(ctx context.Context, t Timing) {
	r, ok := ctx.Value(timingKey{}).(*timingRecorder)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Queue += t.Queue
	r.t.Compute += t.Compute
	r.t.Batch = max(r.t.Batch, t.Batch)
	r.n++
}

// batchRows is the first dimension of the inputs (1 for scalars).
func batchRows(inputs map[string]*tensor.Tensor) int {
	for _, t := range inputs {
		if t.Rank() > 0 {
			return t.Shape()[0]
		}
		return 1
	}
	return 0
}
