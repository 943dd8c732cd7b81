package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"route", "model", "version", "code"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inferd_http_requests_total",
			Help: "HTTP requests by route, model, version and status code.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "inferd_http_request_duration_seconds",
			Help:    "HTTP request latency by route, model, version and status code.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, labels),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) observe(route, model, version string, code int, d time.Duration) {
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(route, model, version, c).Inc()
	if d > 0 {
		m.duration.WithLabelValues(route, model, version, c).Observe(d.Seconds())
	}
}
