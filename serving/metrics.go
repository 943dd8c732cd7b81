package serving

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	loadSeconds *prometheus.GaugeVec
	state       *prometheus.GaugeVec
	loadFails   *prometheus.CounterVec
	shadowRuns  *prometheus.CounterVec
	shadowLat   *prometheus.HistogramVec
}

// newMetrics creates the model metrics and registers them with r (if not nil).
func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
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
		r.MustRegister(m.loadSeconds, m.state, m.loadFails, m.shadowRuns, m.shadowLat)
	}
	return m
}

// publish sets the state gauges of a new snapshot and drops the series of
// versions that left it.
func (m *metrics) publish(old, cur *Model) {
	present := map[string]bool{}
	for _, v := range cur.versions {
		present[v.Label()] = true
		st := v.State()
		for _, s := range allStates {
			val := 0.0
			if s == st {
				val = 1
			}
			m.state.WithLabelValues(v.Model, v.Label(), string(s)).Set(val)
		}
	}
	for _, v := range old.list() {
		if !present[v.Label()] {
			m.forgetVersion(v.Model, v.Label())
		}
	}
}

// forget drops the series of the versions of a model snapshot.
func (m *metrics) forget(name string, mod *Model) {
	for _, v := range mod.list() {
		m.forgetVersion(name, v.Label())
	}
}

func (m *metrics) forgetVersion(name, version string) {
	for _, s := range allStates {
		m.state.DeleteLabelValues(name, version, string(s))
	}
	m.loadSeconds.DeleteLabelValues(name, version)
}
