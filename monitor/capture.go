package monitor

import (
	"context"
	"maps"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
	"github.com/prometheus/client_golang/prometheus"
)

// Target describes the version a capture wrapper serves.
type Target struct {
	Model   string
	Version int
	// Rate is the share of requests captured; nil uses the monitor's
	// default (WithSampleRate).
	Rate *float64
	// Headers are the request headers kept; Redact the inputs whose data
	// is left out.
	Headers []string
	Redact  []string
	// Labels are the class labels; ScoreOutput names the output whose
	// argmax is the prediction ("" for the only float output).
	Labels      []string
	ScoreOutput string
}

// target is a Target with what the hot path needs precomputed.
type target struct {
	Target
	rate    float64
	redact  map[string]bool
	dropped prometheus.Counter
}

// Wrap returns the capture wrapper of a version, or nil when capture is
// off for it (or m is nil).
func (m *Monitor) Wrap(t Target) runner.Wrapper {
	if m == nil {
		return nil
	}
	rate := m.opts.rate
	if t.Rate != nil {
		rate = *t.Rate
	}
	m.remember(t)
	if rate <= 0 {
		return nil
	}
	tg := &target{Target: t, rate: rate, redact: map[string]bool{}, dropped: m.metrics.dropped.WithLabelValues(t.Model)}
	for _, n := range t.Redact {
		tg.redact[n] = true
	}
	return func(next runner.Runner) runner.Runner { return &captured{next: next, m: m, t: tg} }
}

type captured struct {
	next runner.Runner
	m    *Monitor
	t    *target
}

func (c *captured) Inputs() []engine.TensorInfo  { return c.next.Inputs() }
func (c *captured) Outputs() []engine.TensorInfo { return c.next.Outputs() }

// Run runs the request and, when it is sampled and succeeded, offers it to
// the writer without waiting; a full queue drops it and counts it. Nothing
// is encoded here, and only the input map is copied: the writer encodes
// what the request leaves behind (see pending).
func (c *captured) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if c.t.rate < 1 && rand.Float64() >= c.t.rate {
		return c.next.Run(ctx, inputs)
	}
	start := time.Now()
	out, err := c.next.Run(ctx, inputs)
	if err != nil {
		return out, err
	}
	p := pending{t: c.t, start: start, latency: time.Since(start), outputs: out}
	if len(c.m.queue) == cap(c.m.queue) || c.m.queued.Load() > c.m.opts.queueBytes {
		c.t.dropped.Inc()
		return out, nil
	}
	if e := runner.EncodedOf(ctx, inputs); e != nil {
		// The images as sent, not the pixels decoded from them.
		p.encoded = runner.Encoded{Input: e.Input, Images: e.Images, Strings: e.Strings}
		p.inputs = without(inputs, e.Input)
	} else {
		// The caller may reuse its map once Run returns (a pipeline
		// does): the writer gets a copy (the tensors are not modified).
		p.inputs = maps.Clone(inputs)
	}
	if call := CallOf(ctx); call != nil {
		p.requestID, p.clientID = call.RequestID, call.ClientID
		p.headers = pickHeaders(call, c.t.Headers)
	}
	p.size = int64(p.payloadSize())
	c.m.offer(p, c.t.dropped)
	return out, nil
}

// pending is a sampled request as it left the runner: the request's own
// buffers (the encoded images as the client sent them, the input tensors
// otherwise, the output tensors), which nothing changes once the runner
// has answered, so they are handed over rather than copied; only the
// caller's input map, which it may reuse, is. The writer encodes them
// into a Record.
type pending struct {
	t       *target
	start   time.Time
	latency time.Duration
	// inputs are the inputs but the one encoded holds (when
	// encoded.Input is not "").
	inputs              map[string]*tensor.Tensor
	encoded             runner.Encoded
	outputs             map[string]*tensor.Tensor
	requestID, clientID string
	headers             map[string]string
	// size is the queue bytes it is counted as.
	size int64
}

func (p *pending) enc() *runner.Encoded {
	if p.encoded.Input == "" {
		return nil
	}
	return &p.encoded
}

func (p *pending) payloadSize() int {
	return payloadSize(p.inputs, p.enc()) + payloadSize(p.outputs, nil)
}

// record encodes p as a Record, its payloads appended to arena (which it
// returns).
func (p *pending) record(arena []byte) (Record, []byte) {
	r := Record{Model: p.t.Model, Version: p.t.Version, Time: p.start, Latency: p.latency,
		RequestID: p.requestID, ClientID: p.clientID, Headers: p.headers}
	at := len(arena)
	arena = appendPayload(arena, p.inputs, p.t.redact, p.enc())
	r.Inputs = Payload(arena[at:len(arena):len(arena)])
	at = len(arena)
	arena = appendPayload(arena, p.outputs, nil, nil)
	r.Outputs = Payload(arena[at:len(arena):len(arena)])
	if idx, ok := predictedClass(p.outputs, p.t.ScoreOutput); ok {
		r.Prediction = className(idx, p.t.Labels)
	}
	return r, arena
}

// without returns ts without name (ts itself when it has nothing else).
func without(ts map[string]*tensor.Tensor, name string) map[string]*tensor.Tensor {
	if len(ts) == 1 {
		return nil
	}
	out := make(map[string]*tensor.Tensor, len(ts)-1)
	for n, t := range ts {
		if n != name {
			out[n] = t
		}
	}
	return out
}

func pickHeaders(call *Call, names []string) map[string]string {
	if call.Header == nil || len(names) == 0 {
		return nil
	}
	var h map[string]string
	for _, n := range names {
		if v := call.Header(n); v != "" {
			if h == nil {
				h = map[string]string{}
			}
			h[n] = v
		}
	}
	return h
}

// predictedClass is the argmax of a single-row score output: the named
// one, else the only float output.
func predictedClass(outs map[string]*tensor.Tensor, name string) (int, bool) {
	t := outs[name]
	if t == nil {
		for _, o := range outs {
			if o.DType().IsFloat() {
				if t != nil {
					return 0, false
				}
				t = o
			}
		}
	}
	if t == nil || !t.DType().IsFloat() || t.Len() == 0 {
		return 0, false
	}
	if s := t.Shape(); len(s) > 2 || len(s) == 2 && s[0] != 1 {
		return 0, false
	}
	return argmax(t), true
}

func argmax(t *tensor.Tensor) int {
	best, at := 0.0, -1
	for i := range t.Len() {
		v := floatAt(t, i)
		if at < 0 || v > best {
			best, at = v, i
		}
	}
	return at
}

func floatAt(t *tensor.Tensor, i int) float64 {
	switch d := t.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	case []uint16:
		return float64(tensor.Float16ToFloat32(d[i]))
	}
	return 0
}

func className(idx int, labels []string) string {
	if idx < len(labels) {
		return labels[idx]
	}
	return strconv.Itoa(idx)
}

// TargetFor is the capture target of a model version with config.yaml cfg.
func TargetFor(name string, version int, cfg *model.Config) Target {
	t := Target{Model: name, Version: version, Labels: cfg.Labels}
	if mc := cfg.Monitoring; mc != nil {
		t.Rate, t.Headers, t.Redact = mc.SampleRate, mc.Headers, mc.Redact
	}
	if p := cfg.Postprocess; p != nil {
		t.ScoreOutput = p.Output
	}
	return t
}
