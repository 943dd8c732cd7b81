package serving

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/console/series"
)

type metrics struct {
	queueSec    *prometheus.HistogramVec
	computeSec  *prometheus.HistogramVec
	batchSize   *prometheus.HistogramVec
	queueLen    *prometheus.GaugeVec
	waiting     *prometheus.GaugeVec // the batcher's wait policy (batch.PolicyObserver)
	waitGain    *prometheus.GaugeVec
	rejected    *prometheus.CounterVec
	loadSeconds *prometheus.GaugeVec
	state       *prometheus.GaugeVec
	loadFails   *prometheus.CounterVec
	shadowRuns  *prometheus.CounterVec
	shadowLat   *prometheus.HistogramVec
	series      *series.Store // the console's copy (nil: none)
	// forgetSteps drops a pipeline version's step series (nil: none).
	forgetSteps func(name, version string)
}

// newMetrics creates the model metrics and registers them with r (if not nil).
func newMetrics(r prometheus.Registerer) *metrics {
	lat := []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	mv := []string{"model", "version"}
	m := &metrics{
		queueSec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "inferd_inference_queue_seconds", Help: "Time requests waited in the batching queue.", Buckets: lat,
		}, mv),
		computeSec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "inferd_inference_compute_seconds", Help: "Engine time of each (batched) call.", Buckets: lat,
		}, mv),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "inferd_inference_batch_size", Help: "Rows per engine call.", Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}, mv),
		queueLen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_inference_queue_length", Help: "Requests waiting in the batching queue.",
		}, mv),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_batch_waiting", Help: "1 while the batcher's wait policy lets batches wait for companions (the current epoch's), 0 while it does not.",
		}, mv),
		waitGain: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_batch_wait_gain", Help: "The batcher's measured ratio of requests answered per second with waiting for companions over without, the median of the last seven comparisons (waiting is preferred from 1/1.02 up).",
		}, mv),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inferd_inference_rejected_total", Help: "Requests refused at once because the batching queue was full (HTTP 429).",
		}, mv),
		loadSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_model_load_seconds",
			Help: "Time taken to load (and warm up) the model version, in seconds.",
		}, []string{"model", "version"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_model_state",
			Help: "1 for the state the model version is in, 0 for the others.",
		}, []string{"model", "version", "state"}),
		loadFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inferd_model_load_failures_total",
			Help: "Loads of a model version that failed (corrupt file, unsupported operator, warm-up error, ...).",
		}, []string{"model", "version"}),
		shadowRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inferd_shadow_requests_total",
			Help: "Requests mirrored to a shadow version, by result: agree, disagree, error or dropped (shadow busy).",
		}, []string{"model", "version", "shadow_version", "result"}),
		shadowLat: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "inferd_shadow_duration_seconds",
			Help:    "Inference time of mirrored requests on the shadow version.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12),
		}, []string{"model", "shadow_version"}),
	}
	if r != nil {
		r.MustRegister(m.queueSec, m.computeSec, m.batchSize, m.queueLen, m.waiting, m.waitGain, m.rejected, m.loadSeconds, m.state, m.loadFails, m.shadowRuns, m.shadowLat)
	}
	return m
}

// publish sets the state gauges of a new snapshot and drops the series of
// versions that left it.
func (m *metrics) publish(old, cur *ServedModel) {
	present := map[string]bool{}
	for _, v := range cur.versions {
		present[v.Label()] = true
		st := v.State()
		for _, s := range allStates {
			val := 0.0
			if s == st {
				val = 1
			}
			m.state.WithLabelValues(v.ModelName, v.Label(), string(s)).Set(val)
		}
	}
	for _, v := range old.list() {
		if !present[v.Label()] {
			m.forgetVersion(v.ModelName, v.Label())
		}
	}
}

// forget drops the series of the versions of a model snapshot.
func (m *metrics) forget(name string, mod *ServedModel) {
	for _, v := range mod.list() {
		m.forgetVersion(name, v.Label())
	}
}

// observer records a version's batching and inference metrics.
type observer struct {
	queue, compute, size prometheus.Observer
	queueLen             prometheus.Gauge
	waiting, waitGain    prometheus.Gauge
	rejected             prometheus.Counter
	series               *series.Series
}

func (m *metrics) observer(model, version string) *observer {
	return &observer{
		queue:    m.queueSec.WithLabelValues(model, version),
		compute:  m.computeSec.WithLabelValues(model, version),
		size:     m.batchSize.WithLabelValues(model, version),
		queueLen: m.queueLen.WithLabelValues(model, version),
		waiting:  m.waiting.WithLabelValues(model, version),
		waitGain: m.waitGain.WithLabelValues(model, version),
		rejected: m.rejected.WithLabelValues(model, version),
		series:   m.series.Series(model, version, ""),
	}
}

func (o *observer) Batch(rows int, d time.Duration) {
	o.size.Observe(float64(rows))
	o.compute.Observe(d.Seconds())
	o.series.Batch(rows)
}
func (o *observer) Queued(d time.Duration) { o.queue.Observe(d.Seconds()); o.series.Queued(d) }
func (o *observer) QueueLength(n int)      { o.queueLen.Set(float64(n)) }
func (o *observer) Rejected()              { o.rejected.Inc() }

// Policy implements batch.PolicyObserver.
func (o *observer) Policy(waiting bool, gain float64) {
	o.waiting.Set(float64(boolGauge(waiting)))
	o.waitGain.Set(gain)
}

func boolGauge(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *metrics) forgetVersion(name, version string) {
	for _, v := range []interface{ DeleteLabelValues(...string) bool }{m.queueSec, m.computeSec, m.batchSize, m.queueLen, m.waiting, m.waitGain, m.rejected} {
		v.DeleteLabelValues(name, version)
	}
	for _, s := range allStates {
		m.state.DeleteLabelValues(name, version, string(s))
	}
	m.loadSeconds.DeleteLabelValues(name, version)
	m.series.Forget(name, version)
	if m.forgetSteps != nil {
		m.forgetSteps(name, version)
	}
}
