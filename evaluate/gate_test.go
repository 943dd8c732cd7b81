package evaluate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGateFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/gates/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			_, err = ParseGate(b)
			want, bad := strings.CutPrefix(first, "# want: ")
			switch {
			case bad && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("error %v, want %q", err, want)
			case !bad && err != nil:
				t.Fatal(err)
			}
		})
	}
}

func report() *Report {
	return &Report{
		Version: "2",
		Metrics: map[string]float64{"accuracy": 0.90, "log_loss": 0.30},
		Slices:  map[string]Slice{"region": {"north": {"accuracy": 0.95}, "south": {"accuracy": 0.80}}},
		Fairness: &Fairness{
			Groups:      map[string]map[string]float64{"sex=F": {"accuracy": 0.82}, "sex=M": {"accuracy": 0.93}, "sex=X": {"accuracy": 0.1}},
			Metrics:     map[string]float64{"demographic_parity_ratio": 0.6},
			SmallGroups: []string{"sex=X"},
		},
	}
}

func TestGateApply(t *testing.T) {
	base := &Report{Version: "1", Metrics: map[string]float64{"accuracy": 0.93, "log_loss": 0.25}}
	for _, tt := range []struct {
		name, yaml string
		fails      []string // checks that fail, in order
		by         []float64
	}{
		{"value pass", "metrics: {accuracy: {min: 0.9}, log_loss: {max: 0.3}}", nil, nil},
		{"value fail", "metrics: {accuracy: {min: 0.95}}", []string{"metrics.accuracy >= 0.95"}, []float64{0.05}},
		{"missing metric", "metrics: {roc_auc: {min: 0.5}}", []string{"metrics.roc_auc is in the report"}, []float64{0}},
		{"change absolute", "baseline: production\nchanges: {accuracy: {absolute: -0.01}}", []string{"changes.accuracy improvement over baseline 0.93 >= -0.01"}, []float64{0.02}},
		{"change lower is better", "baseline: production\nchanges: {log_loss: {absolute: 0}}", []string{"changes.log_loss improvement over baseline 0.25 >= 0"}, []float64{0.05}},
		{"change relative pass", "baseline: production\nchanges: {accuracy: {relative: -0.05}}", nil, nil},
		{"slices every value", "slices: {region: {accuracy: {min: 0.85}}}", []string{"slices.region=south.accuracy >= 0.85"}, []float64{0.05}},
		{"slice one value", "slices: {region=north: {accuracy: {min: 0.85}}}", nil, nil},
		{"groups skip small", "groups: {accuracy: {min: 0.8}}", nil, nil},
		{"groups fail", "groups: {accuracy: {min: 0.85}}", []string{"groups.sex=F.accuracy >= 0.85"}, []float64{0.03}},
		{"fairness", "fairness: {demographic_parity_ratio: {min: 0.8}}", []string{"fairness.demographic_parity_ratio >= 0.8"}, []float64{0.2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := ParseGate([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			res := g.Apply(report(), base)
			if res.Passed != (len(tt.fails) == 0) || len(res.Failures) != len(tt.fails) {
				t.Fatalf("result %+v, want failures %v", res, tt.fails)
			}
			for i, f := range res.Failures {
				if f.Check != tt.fails[i] || abs(f.By-tt.by[i]) > 1e-12 {
					t.Errorf("failure %q by %v, want %q by %v", f.Check, f.By, tt.fails[i], tt.by[i])
				}
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
