package monitor

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the monitor's Prometheus metrics.
type metrics struct {
	captured, dropped  *prometheus.CounterVec
	storeErrors, lost  prometheus.Counter
	eventErrors        prometheus.Counter
	retained           prometheus.Counter
	queued             prometheus.Gauge
	feedback           *prometheus.CounterVec
	accuracy, labelled *prometheus.GaugeVec
	quality            *prometheus.GaugeVec
	classQuality       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		captured: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "inferd_monitor_captured_total",
			Help: "Requests captured and written to the monitoring store."}, []string{"model"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "inferd_monitor_capture_dropped_total",
			Help: "Sampled requests not captured because the capture queue was full."}, []string{"model"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "inferd_monitor_store_errors_total",
			Help: "Failed writes and retention runs of the monitoring store."}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{Name: "inferd_monitor_capture_lost_total",
			Help: "Captured requests lost because the store refused their batch."}),
		eventErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "inferd_monitor_cloudevents_errors_total",
			Help: "Batches of captured requests the CloudEvents endpoint did not take."}),
		retained: prometheus.NewCounter(prometheus.CounterOpts{Name: "inferd_monitor_retention_deleted_total",
			Help: "Captured requests deleted by the retention policy."}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{Name: "inferd_monitor_capture_queue_length",
			Help: "Captured requests waiting to be written."}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "inferd_monitor_feedback_total",
			Help: "Feedback labels received, by whether they joined a captured request."}, []string{"model", "joined"}),
		accuracy: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_monitor_accuracy",
			Help: "Accuracy of the labelled predictions in the window (the last N labelled requests)."}, []string{"model", "version", "window"}),
		labelled: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_monitor_labelled",
			Help: "Labelled predictions in the accuracy window."}, []string{"model", "version", "window"}),
		quality: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_monitor_quality",
			Help: "Live quality of the labelled predictions in the window: precision_macro, recall_macro, f1_macro (classifiers); mae, rmse, r2, mape (regressors)."},
			[]string{"model", "version", "window", "metric"}),
		classQuality: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_monitor_class_quality",
			Help: "Live precision, recall and F1 of one class over the labelled predictions in the window."},
			[]string{"model", "version", "window", "class", "metric"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.captured, m.dropped, m.storeErrors, m.lost, m.eventErrors, m.retained, m.queued, m.feedback, m.accuracy, m.labelled, m.quality, m.classQuality} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("monitor metrics: %w", err)
		}
	}
	return m, nil
}
