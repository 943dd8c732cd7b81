package metrics

import (
	"cmp"
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"
)

type golden struct {
	Classification []struct {
		Name    string
		K       int
		YTrue   []int     `json:"y_true"`
		YPred   []int     `json:"y_pred"`
		Scores  []float64 `json:"scores"`
		Weights []float64 `json:"weights"`
		Want    map[string]json.RawMessage
	}
	Regression []struct {
		Name    string
		YTrue   []float64 `json:"y_true"`
		YPred   []float64 `json:"y_pred"`
		Weights []float64 `json:"weights"`
		Want    Regression
	}
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

const tol = 1e-9

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) != math.IsNaN(want) {
		t.Errorf("%s = %.17g, scikit-learn says %.17g (diff %.3g)", name, got, want, got-want)
	}
}

func TestClassificationMatchesScikitLearn(t *testing.T) {
	for _, c := range loadGolden(t).Classification {
		t.Run(c.Name, func(t *testing.T) {
			num := func(k string) float64 {
				var v float64
				if err := json.Unmarshal(c.Want[k], &v); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				return v
			}
			vec := func(k string) []float64 {
				var v []float64
				if err := json.Unmarshal(c.Want[k], &v); err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				return v
			}
			cm, err := ConfusionMatrix(c.YTrue, c.YPred, c.Weights, c.K)
			if err != nil {
				t.Fatal(err)
			}
			var wantCM [][]float64
			if err := json.Unmarshal(c.Want["confusion_matrix"], &wantCM); err != nil {
				t.Fatal(err)
			}
			for i := range wantCM {
				for j := range wantCM[i] {
					near(t, "confusion", cm.Counts[i][j], wantCM[i][j])
				}
			}
			near(t, "accuracy", cm.Accuracy(), num("accuracy"))
			near(t, "balanced_accuracy", cm.BalancedAccuracy(), num("balanced_accuracy"))
			per := cm.PerClass()
			for i, v := range vec("precision_per_class") {
				near(t, "precision", per[i].Precision, v)
				near(t, "recall", per[i].Recall, vec("recall_per_class")[i])
				near(t, "f1", per[i].F1, vec("f1_per_class")[i])
			}
			avg := cm.Average()
			for name, s := range map[string]ClassScores{"macro": avg.Macro, "micro": avg.Micro, "weighted": avg.Weighted} {
				near(t, "precision_"+name, s.Precision, num("precision_"+name))
				near(t, "recall_"+name, s.Recall, num("recall_"+name))
				near(t, "f1_"+name, s.F1, num("f1_"+name))
			}
			s := Scores{K: c.K, Data: c.Scores}
			ll, err := LogLoss(c.YTrue, s, c.Weights)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "log_loss", ll, num("log_loss"))
			ovr, err := OneVsRestAUC(c.YTrue, s, c.Weights)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "roc_auc", ovr.ROCAUCMacro, num("roc_auc"))
			near(t, "average_precision", ovr.APMacro, num("average_precision"))
			cal, err := ExpectedCalibration(c.YTrue, s, c.Weights, 10)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "expected_calibration_error", cal.ECE, num("expected_calibration_error"))
			if _, ok := c.Want["top_2_accuracy"]; ok {
				top, err := TopKAccuracy(c.YTrue, s, c.Weights, 2)
				if err != nil {
					t.Fatal(err)
				}
				near(t, "top_2_accuracy", top, num("top_2_accuracy"))
			}
		})
	}
}

func TestRegressionMatchesScikitLearn(t *testing.T) {
	for _, c := range loadGolden(t).Regression {
		t.Run(c.Name, func(t *testing.T) {
			r, err := Regress(c.YTrue, c.YPred, c.Weights)
			if err != nil {
				t.Fatal(err)
			}
			near(t, "mae", r.MAE, c.Want.MAE)
			near(t, "rmse", r.RMSE, c.Want.RMSE)
			near(t, "r2", r.R2, c.Want.R2)
			near(t, "mape", r.MAPE, c.Want.MAPE)
		})
	}
}

func TestBadInput(t *testing.T) {
	s := Scores{K: 2, Data: []float64{0.5, 0.5}}
	tests := []struct {
		name string
		err  func() error
	}{
		{"no samples", func() error { _, err := ConfusionMatrix(nil, nil, nil, 2); return err }},
		{"lengths", func() error { _, err := ConfusionMatrix([]int{0, 1}, []int{0}, nil, 2); return err }},
		{"class out of range", func() error { _, err := ConfusionMatrix([]int{2}, []int{0}, nil, 2); return err }},
		{"scores length", func() error { _, err := LogLoss([]int{0, 1}, s, nil); return err }},
		{"weights length", func() error { _, err := TopKAccuracy([]int{0}, s, []float64{1, 2}, 1); return err }},
		{"one class only", func() error { _, err := OneVsRestAUC([]int{1}, s, nil); return err }},
		{"regression lengths", func() error { _, err := Regress([]float64{1}, nil, nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.err(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestBootstrapIsSeededAndCoversTheEstimate(t *testing.T) {
	yTrue := []int{0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0}
	yPred := []int{0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0}
	acc := func(idx []int) ([]float64, error) {
		t2, p2 := make([]int, len(idx)), make([]int, len(idx))
		for i, j := range idx {
			t2[i], p2[i] = yTrue[j], yPred[j]
		}
		c, err := ConfusionMatrix(t2, p2, nil, 2)
		if err != nil {
			return nil, err
		}
		return []float64{c.Accuracy()}, nil
	}
	ivs, err := Bootstrap(len(yTrue), 500, 0.95, 7, func() func([]int) ([]float64, error) { return acc })
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Bootstrap(len(yTrue), 500, 0.95, 7, func() func([]int) ([]float64, error) { return acc })
	a, b := ivs[0], again[0]
	if a != b {
		t.Fatalf("same seed, different intervals: %v and %v", a, b)
	}
	all := make([]int, len(yTrue))
	for i := range all {
		all[i] = i
	}
	v, _ := acc(all)
	est := v[0]
	if !(a.Low < est && est < a.High) || a.High-a.Low > 0.6 {
		t.Fatalf("interval %v does not bracket the estimate %v sensibly", a, est)
	}
}

func TestQuantileMatchesNumpyLinear(t *testing.T) {
	v := []float64{1, 2, 4, 8}
	for _, tt := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {0.25, 1.75}, {1, 8}} {
		if got := Quantile(v, tt.q); got != tt.want {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestCurvesAreThinnedButAreasExact(t *testing.T) {
	n := 5000
	pos, score := make([]bool, n), make([]float64, n)
	for i := range n {
		pos[i] = i%3 == 0
		score[i] = float64((i*7919)%n) / float64(n) // distinct scores
	}
	roc, auc := BinaryROC(pos, score, nil)
	pr, ap := BinaryPR(pos, score, nil)
	if len(roc.X) > MaxCurvePoints+1 || len(pr.X) > MaxCurvePoints+1 || len(roc.X) < MaxCurvePoints-1 {
		t.Fatalf("curves of %d and %d points", len(roc.X), len(pr.X))
	}
	if roc.X[0] != 0 || roc.Y[0] != 0 || roc.X[len(roc.X)-1] != 1 || roc.Y[len(roc.Y)-1] != 1 || pr.X[len(pr.X)-1] != 1 {
		t.Fatalf("curve ends: roc %v,%v … %v,%v; pr recall ends at %v", roc.X[0], roc.Y[0], roc.X[len(roc.X)-1], roc.Y[len(roc.Y)-1], pr.X[len(pr.X)-1])
	}
	// The area of the full curve, by the trapezoids of every point.
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	P, N := float64((n+2)/3), float64(n-(n+2)/3)
	var tp, fp, px, py, want float64
	for _, i := range idx {
		if pos[i] {
			tp++
		} else {
			fp++
		}
		want += (fp/N - px) * (tp/P + py) / 2
		px, py = fp/N, tp/P
	}
	if math.Abs(auc-want) > 1e-12 || math.IsNaN(ap) {
		t.Fatalf("auc %v, want %v (ap %v)", auc, want, ap)
	}
}
