package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
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
	c := strconv.Itoa(code)
	m.requests.WithLabelValues(protocol, route, model, version, c).Inc()
	if d > 0 {
		m.duration.WithLabelValues(protocol, route, model, version, c).Observe(d.Seconds())
	}
}
