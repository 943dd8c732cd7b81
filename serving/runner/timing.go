package runner

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// Timing says where a request spent its time in the model: waiting in the
// batcher's queue and running in the engine, and the rows of the call it
// ran in. Servers send it as the Inferd-Timing header; load generators
// parse it back (ParseTiming).
type Timing struct {
	// Queue is the time the request waited in the batcher (0 without
	// batching).
	Queue time.Duration
	// Compute is the engine time of the call that ran it.
	Compute time.Duration
	// Batch is the number of rows of that call (0 when not reported).
	Batch int
	// Steps are the steps of a pipeline, in the order they ended: the
	// time each took (model steps include their queue), or that it was
	// skipped or failed softly.
	Steps []StepTiming
}

// StepTiming is one pipeline step's share of a request.
type StepTiming struct {
	Name     string
	Duration time.Duration
	// Missing is set when the step did not answer: skipped by its
	// condition or a missing input, or a soft step that failed.
	Missing bool
}

// String renders the timing as the Inferd-Timing header value:
// queue=<µs>;compute=<µs>;batch=<rows>, then step.<name>=<µs> for each
// pipeline step (step.<name>=missing for one that did not answer).
func (t Timing) String() string {
	var sb strings.Builder // one allocation: the string itself
	sb.Grow(40 + 24*len(t.Steps))
	var num [20]byte
	appendInt := func(prefix string, n int64) {
		sb.WriteString(prefix)
		sb.Write(strconv.AppendInt(num[:0], n, 10))
	}
	appendInt("queue=", t.Queue.Microseconds())
	appendInt(";compute=", t.Compute.Microseconds())
	appendInt(";batch=", int64(t.Batch))
	for _, st := range t.Steps {
		sb.WriteString(";step.")
		sb.WriteString(st.Name)
		if st.Missing {
			sb.WriteString("=missing")
			continue
		}
		appendInt("=", st.Duration.Microseconds())
	}
	return sb.String()
}

// ParseTiming parses an Inferd-Timing value. queue and compute are
// required; batch and unknown keys are optional, so that the server can add
// fields.
func ParseTiming(s string) (Timing, error) {
	var (
		t                Timing
		hasQueue, hasCmp bool
	)
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Timing{}, fmt.Errorf("timing %q: %q is not key=value", s, part)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if name, ok := strings.CutPrefix(k, "step."); ok {
			st, err := parseStep(name, v)
			if err != nil {
				return Timing{}, fmt.Errorf("timing %q: %w", s, err)
			}
			t.Steps = append(t.Steps, st)
			continue
		}
		switch k {
		case "queue", "compute", "batch":
		default:
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return Timing{}, fmt.Errorf("timing %q: %s=%q is not a non-negative integer", s, k, v)
		}
		switch k {
		case "queue":
			t.Queue, hasQueue = time.Duration(n)*time.Microsecond, true
		case "compute":
			t.Compute, hasCmp = time.Duration(n)*time.Microsecond, true
		case "batch":
			t.Batch = int(n)
		}
	}
	if !hasQueue || !hasCmp {
		return Timing{}, fmt.Errorf("timing %q: want queue=<µs>;compute=<µs>[;batch=<rows>]", s)
	}
	return t, nil
}

// parseStep parses a step.<name>=<µs|missing> value.
func parseStep(name, v string) (StepTiming, error) {
	if v == "missing" {
		return StepTiming{Name: name, Missing: true}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return StepTiming{}, fmt.Errorf("step.%s=%q is not a non-negative integer or missing", name, v)
	}
	return StepTiming{Name: name, Duration: time.Duration(n) * time.Microsecond}, nil
}

type timingKey struct{}

// timingRecorder collects the timings of the runs of one request. Under
// WithStepPrefix it is a view of the request's own (shared), naming the
// steps it records with prefix.
type timingRecorder struct {
	mu     sync.Mutex
	t      Timing
	n      int
	shared *timingRecorder
	prefix string
}

// root is the request's own recorder.
func (r *timingRecorder) root() *timingRecorder {
	if r.shared != nil {
		return r.shared
	}
	return r
}

// WithTiming returns a context in which runs record their timing;
// TimingOf reads it back.
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
	r = r.root()
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.t
	t.Steps = slices.Clone(t.Steps)
	return t, r.n > 0
}

// RecordTiming adds a run's timing to the request's (a no-op outside
// WithTiming): queue and compute add up, batch is the largest.
func RecordTiming(ctx context.Context, t Timing) {
	r, ok := ctx.Value(timingKey{}).(*timingRecorder)
	if !ok {
		return
	}
	r = r.root()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Queue += t.Queue
	r.t.Compute += t.Compute
	r.t.Batch = max(r.t.Batch, t.Batch)
	r.n++
}

// RecordStep adds a pipeline step's timing to the request's (a no-op
// outside WithTiming). Under WithStepPrefix its name is qualified.
func RecordStep(ctx context.Context, st StepTiming) {
	r, ok := ctx.Value(timingKey{}).(*timingRecorder)
	if !ok {
		return
	}
	if r.prefix != "" {
		st.Name = r.prefix + st.Name
	}
	r = r.root()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Steps = append(r.t.Steps, st)
	r.n++
}

// WithStepPrefix returns a context in which the steps recorded are named
// step/NAME (nested: outer/step/NAME): a pipeline step that runs another
// pipeline qualifies the inner pipeline's steps with its own name, so
// that they cannot collide with the outer pipeline's. It is a no-op
// outside WithTiming.
func WithStepPrefix(ctx context.Context, step string) context.Context {
	r, ok := ctx.Value(timingKey{}).(*timingRecorder)
	if !ok {
		return ctx
	}
	return context.WithValue(ctx, timingKey{}, &timingRecorder{shared: r.root(), prefix: r.prefix + step + "/"})
}

// CallObserver receives the rows and engine time of each call (metrics).
type CallObserver interface {
	Batch(rows int, compute time.Duration)
}

// Timed measures each call of the runner it wraps: it records the timing
// on the request and tells obs (may be nil). Batching records its own.
func Timed(obs CallObserver) Wrapper {
	return func(next Runner) Runner { return &timed{next: next, obs: obs} }
}

type timed struct {
	next Runner
	obs  CallObserver
}

func (t *timed) Inputs() []engine.TensorInfo  { return t.next.Inputs() }
func (t *timed) Outputs() []engine.TensorInfo { return t.next.Outputs() }

// Recycle implements engine.Recycler: timing hands outputs on as they are.
func (t *timed) Recycle(outputs []*tensor.Tensor) { Recycle(t.next, outputs) }

func (t *timed) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	start := time.Now()
	out, err := t.next.Run(ctx, inputs)
	d := time.Since(start)
	rows := BatchRows(inputs)
	RecordTiming(ctx, Timing{Compute: d, Batch: rows})
	if t.obs != nil {
		t.obs.Batch(rows, d)
	}
	return out, err
}
