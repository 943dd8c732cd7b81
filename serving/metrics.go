package serving

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	loadSeconds *prometheus.GaugeVec
	state       *prometheus.GaugeVec
}

// newMetrics creates the model metrics and registers them with r (if not nil).
func newMetrics(r prometheus.Registerer) *metrics {
	m := &metrics{
		loadSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_model_load_seconds",
			Help: "Time taken to load the model version, in seconds.",
		}, []string{"model", "version"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "inferd_model_state",
			Help: "1 for the state the model version is in, 0 for the others.",
		}, []string{"model", "version", "state"}),
	}
	if r != nil {
		r.MustRegister(m.loadSeconds, m.state)
	}
	return m
}

func (m *metrics) setState(v *Version) {
	cur := v.State()
	for _, s := range allStates {
		val := 0.0
		if s == cur {
			val = 1
		}
		m.state.WithLabelValues(v.Model, v.Label(), string(s)).Set(val)
	}
}
