package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/drift"
)

// describedNames is a Registerer that keeps the names of the metrics
// registered with it.
type describedNames map[string]bool

func (d describedNames) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	for desc := range ch {
		if m := re.FindStringSubmatch(desc.String()); m != nil {
			d[m[1]] = true
		}
	}
	return nil
}
func (d describedNames) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = d.Register(c)
	}
}
func (d describedNames) Unregister(prometheus.Collector) bool { return true }

// The alerting rules decode strictly and name only metrics that the
// monitor and the drift watcher export.
func TestPrometheusRules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("prometheus-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatal(err)
	}
	names := describedNames{}
	if _, err := monitor.New(nil, monitor.WithRegisterer(names)); err != nil {
		t.Fatal(err)
	}
	if _, err := drift.NewWatcher(nil, nil, names); err != nil {
		t.Fatal(err)
	}
	metric := regexp.MustCompile(`inferd_[a-z_]+`)
	alerts := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v lacks alert, expr, severity or summary", r)
			}
			for _, name := range metric.FindAllString(r.Expr, -1) {
				if !names[name] && !names[strings.TrimSuffix(name, "_total")+"_total"] {
					t.Errorf("%s: %s is not a metric inferd exports", r.Alert, name)
				}
			}
		}
	}
	if alerts < 4 {
		t.Fatalf("%d alerts", alerts)
	}
}
