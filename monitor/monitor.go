package monitor

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the options.
const (
	DefaultQueueSize      = 8192
	DefaultQueueBytes     = 256 << 20
	DefaultBatchSize      = 1024
	DefaultFlushInterval  = 500 * time.Millisecond
	DefaultRetainInterval = time.Minute
	defaultWriteTimeout   = 30 * time.Second
	// maxArena is the largest payload arena the writer keeps between
	// batches.
	maxArena = 64 << 20
)

// Monitor captures requests into a Store and keeps live accuracy from
// feedback. A nil *Monitor captures nothing.
type Monitor struct {
	store Store
	opts  options
	queue chan pending
	// kick wakes the writer when a batch is waiting; otherwise it wakes
	// every flush interval, not for each record.
	kick chan struct{}
	// queued is the payload bytes waiting in queue.
	queued atomic.Int64
	// arena holds the payloads of the batch the writer is writing (its
	// goroutine's alone; reused from batch to batch).
	arena   []byte
	metrics *metrics
	live    *live

	mu      sync.Mutex
	targets map[targetKey]Target
}

type targetKey struct {
	model   string
	version int
}

// Option configures a Monitor.
type Option func(*options)

type options struct {
	rate           float64
	queue, batch   int
	queueBytes     int64
	flush          time.Duration
	retention      Retention
	retainInterval time.Duration
	windows        []int
	spans          []time.Duration
	events         *CloudEvents
	log            *slog.Logger
	reg            prometheus.Registerer
}

// WithSampleRate sets the share of requests captured for models whose
// config.yaml sets no monitoring.sample_rate (default 0: none).
func WithSampleRate(r float64) Option { return func(o *options) { o.rate = r } }

// WithQueueSize bounds the records waiting for the writer; more are
// dropped and counted.
func WithQueueSize(n int) Option { return func(o *options) { o.queue = n } }

// WithQueueBytes bounds the payload bytes of the records waiting for the
// writer (default 256 MiB); more are dropped and counted.
func WithQueueBytes(n int64) Option { return func(o *options) { o.queueBytes = n } }

// WithBatch sets how many records one transaction writes at most (a full
// batch waiting wakes the writer) and how often the writer wakes anyway.
func WithBatch(n int, flush time.Duration) Option {
	return func(o *options) { o.batch, o.flush = n, flush }
}

// WithRetention sets what the store keeps, enforced every interval.
func WithRetention(r Retention, every time.Duration) Option {
	return func(o *options) { o.retention, o.retainInterval = r, every }
}

// WithAccuracyWindows sets the sizes (in labeled requests) of the live
// accuracy windows (default 100 and 1000).
func WithAccuracyWindows(sizes ...int) Option { return func(o *options) { o.windows = sizes } }

// WithQualitySpans sets the time windows of the live quality (default one
// hour): the labels received in the last span, at most as many as the
// largest accuracy window keeps.
func WithQualitySpans(spans ...time.Duration) Option { return func(o *options) { o.spans = spans } }

// WithCloudEvents also sends every captured record to c, as KServe's
// payload logger does (after it is stored, from the writer goroutine: a
// slow endpoint fills the queue, and then records are dropped and counted).
func WithCloudEvents(c *CloudEvents) Option { return func(o *options) { o.events = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithRegisterer registers the monitor's metrics.
func WithRegisterer(r prometheus.Registerer) Option { return func(o *options) { o.reg = r } }

// New returns a monitor writing to store. Run must run for records to be
// written.
func New(store Store, opts ...Option) (*Monitor, error) {
	o := options{queue: DefaultQueueSize, queueBytes: DefaultQueueBytes, batch: DefaultBatchSize, flush: DefaultFlushInterval,
		retainInterval: DefaultRetainInterval, windows: []int{100, 1000}, spans: []time.Duration{time.Hour}, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if o.rate < 0 || o.rate > 1 {
		return nil, errors.New("monitor: sample rate must be between 0 and 1")
	}
	if o.queue < 1 || o.queueBytes < 1 || o.batch < 1 || o.flush <= 0 {
		return nil, errors.New("monitor: queue size and bytes, batch size and flush interval must be positive")
	}
	for _, w := range o.windows {
		if w < 1 {
			return nil, errors.New("monitor: accuracy windows must be positive")
		}
	}
	for _, d := range o.spans {
		if d <= 0 {
			return nil, errors.New("monitor: quality spans must be positive")
		}
	}
	met, err := newMetrics(o.reg)
	if err != nil {
		return nil, err
	}
	return &Monitor{store: store, opts: o, queue: make(chan pending, o.queue), kick: make(chan struct{}, 1), metrics: met,
		live: newLive(o.windows, o.spans, met), targets: map[targetKey]Target{}}, nil
}

// Store returns the monitor's store.
func (m *Monitor) Store() Store { return m.store }

func (m *Monitor) remember(t Target) {
	m.mu.Lock()
	m.targets[targetKey{t.Model, t.Version}] = t
	m.mu.Unlock()
}

func (m *Monitor) target(model string, version int) (Target, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.targets[targetKey{model, version}]
	return t, ok
}

// offer queues p for the writer, or drops and counts it when the queue is
// full; it never waits.
func (m *Monitor) offer(p pending, dropped prometheus.Counter) {
	if m.queued.Add(p.size) > m.opts.queueBytes {
		m.queued.Add(-p.size)
		dropped.Inc()
		return
	}
	select {
	case m.queue <- p:
	default:
		m.queued.Add(-p.size)
		dropped.Inc()
		return
	}
	if len(m.queue) >= m.opts.batch {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
}

// Run writes queued records until ctx is done, then writes what is still
// queued and returns. It enforces retention meanwhile. It wakes once per
// flush interval, or when a batch is waiting, and then drains the queue.
func (m *Monitor) Run(ctx context.Context) error {
	tick := time.NewTicker(m.opts.flush)
	defer tick.Stop()
	retain := time.NewTicker(m.opts.retainInterval)
	defer retain.Stop()
	batch := make([]Record, 0, m.opts.batch)
	for {
		select {
		case <-m.kick:
		case <-tick.C:
		case <-retain.C:
			m.retain()
			continue
		case <-ctx.Done():
			m.drain(batch)
			return nil
		}
		batch = m.drain(batch)
		m.metrics.queued.Set(float64(len(m.queue)))
	}
}

// drain writes what is queued (at most a queue's worth, so that retention
// still runs under constant load), in batches, and returns batch emptied.
func (m *Monitor) drain(batch []Record) []Record {
	for range cap(m.queue) {
		select {
		case p := <-m.queue:
			m.queued.Add(-p.size)
			var r Record
			r, m.arena = p.record(m.arena)
			if batch = append(batch, r); len(batch) == m.opts.batch {
				batch = m.write(batch)
			}
		default:
			return m.write(batch)
		}
	}
	return m.write(batch)
}

// write stores batch in one transaction and returns it emptied.
func (m *Monitor) write(batch []Record) []Record {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultWriteTimeout)
	defer cancel()
	if err := m.store.Append(ctx, batch); err != nil {
		m.metrics.storeErrors.Inc()
		m.metrics.lost.Add(float64(len(batch)))
		m.opts.log.Error("writing captured requests", "records", len(batch), "err", err)
	} else {
		m.countCaptured(batch)
	}
	if m.opts.events != nil {
		if err := m.opts.events.send(ctx, batch); err != nil {
			m.metrics.eventErrors.Inc()
			m.opts.log.Warn("sending captured requests as CloudEvents", "records", len(batch), "err", err)
		}
	}
	clear(batch)
	m.arena = m.arena[:0] // the store keeps no payload it was given
	if cap(m.arena) > maxArena {
		m.arena = nil
	}
	return batch[:0]
}

// countCaptured adds batch to the captured counter, one Add per run of
// records of the same model rather than a label lookup per record.
func (m *Monitor) countCaptured(batch []Record) {
	for i := 0; i < len(batch); {
		j := i + 1
		for j < len(batch) && batch[j].Model == batch[i].Model {
			j++
		}
		m.metrics.captured.WithLabelValues(batch[i].Model).Add(float64(j - i))
		i = j
	}
}

func (m *Monitor) retain() {
	r := m.opts.retention
	if r.MaxAge <= 0 && r.MaxBytes <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), defaultWriteTimeout)
	defer cancel()
	n, err := m.store.Retain(ctx, r)
	if err != nil {
		m.metrics.storeErrors.Inc()
		m.opts.log.Error("enforcing capture retention", "err", err)
		return
	}
	m.metrics.retained.Add(float64(n))
}
