package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// series caches the series of each label set, found once instead of
	// hashed on every request. The vectors never delete series, so the
	// cache never goes stale.
	mu     sync.RWMutex
	series map[metricKey]*metricSeries
}

// metricKey is one label set of the request metrics.
type metricKey struct {
	protocol, route, model, version string
	code                            int
}

// metricSeries are a label set's counter and, once a request with a
// duration has been observed, histogram (until then the histogram has no
// series, as before the cache).
type metricSeries struct {
	requests prometheus.Counter
	duration atomic.Pointer[prometheus.Observer]
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"protocol", "route", "model", "version", "code"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inferd_http_requests_total",
			Help: "Requests by protocol (seed, v2, v2-grpc, tfserving), route, model, version and status code (for gRPC, the HTTP status of the same error over REST).",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "inferd_http_request_duration_seconds",
			Help:    "Request latency by protocol, route, model, version and status code.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// The protocols, as the metrics' protocol label names them.
const (
	protoSeed      = "seed"
	protoV2        = "v2"
	protoV2GRPC    = "v2-grpc"
	protoTFServing = "tfserving"
)

// protocolOfPath names the protocol of an HTTP path that matched no route.
func protocolOfPath(path string) string {
	switch {
	case path == "/v2" || strings.HasPrefix(path, "/v2/"):
		return protoV2
	case path == "/v1" || strings.HasPrefix(path, "/v1/"):
		return protoTFServing
	}
	return protoSeed
}

func (m *metrics) observe(protocol, route, model, version string, code int, d time.Duration) {
	ms := m.seriesOf(metricKey{protocol, route, model, version, code})
	ms.requests.Inc()
	if d <= 0 {
		return
	}
	o := ms.duration.Load()
	if o == nil {
		h := m.duration.WithLabelValues(protocol, route, model, version, strconv.Itoa(code)) // idempotent: a race stores the same series
		ms.duration.Store(&h)
		o = &h
	}
	(*o).Observe(d.Seconds())
}

// seriesOf is k's cached series, made on first use.
func (m *metrics) seriesOf(k metricKey) *metricSeries {
	m.mu.RLock()
	ms := m.series[k]
	m.mu.RUnlock()
	if ms != nil {
		return ms
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ms = m.series[k]; ms == nil {
		ms = &metricSeries{requests: m.requests.WithLabelValues(k.protocol, k.route, k.model, k.version, strconv.Itoa(k.code))}
		if m.series == nil {
			m.series = make(map[metricKey]*metricSeries)
		}
		m.series[k] = ms
	}
	return ms
}
