package deploy

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Prometheus Operator's ServiceMonitor, mirrored from
// github.com/prometheus-operator/prometheus-operator
// (pkg/apis/monitoring/v1/servicemonitor_types.go) with the same JSON
// names; only the fields the chart may set, so that strict decoding
// rejects others and typos. The operator's module is not used: it pulls
// in the controller runtime for a handful of fields.
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		Endpoints         []monitorEndpoint    `json:"endpoints"`
		NamespaceSelector *struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector,omitempty"`
	} `json:"spec"`
}

type monitorEndpoint struct {
	Port      string         `json:"port,omitempty"`
	Path      string         `json:"path,omitempty"`
	Scheme    string         `json:"scheme,omitempty"`
	Interval  string         `json:"interval,omitempty"`
	TLSConfig map[string]any `json:"tlsConfig,omitempty"`
}
