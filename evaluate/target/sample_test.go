package target_test

import (
	"context"
	"math"
	"testing"

	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/target"
)

// Past ExactRows an evaluation keeps a sample of the rows, but its
// overall counts, top-k, log loss, calibration and regression figures
// are still those of every row: the same, to 1e-9, as a run that keeps
// them all.
func TestSampledRunKeepsOverallFiguresExact(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, repo, model string
		spec              dataset.Spec
		figures           []string
	}{
		{"loans", "../../examples/evaluation", "loans", dataset.Spec{Path: "../../examples/evaluation/loans-test.csv", Groups: []string{"sex"}, Slices: []string{"region"}},
			[]string{"rows", "accuracy", "balanced_accuracy", "f1_macro", "precision_weighted", "recall_micro", "log_loss", "expected_calibration_error"}},
		{"digits", repo, "digits", dataset.Spec{Path: digits},
			[]string{"rows", "accuracy", "f1_macro", "f1_weighted", "top_k_accuracy", "log_loss", "expected_calibration_error"}},
		{"houses", "../../examples/evaluation", "houses", dataset.Spec{Path: "../../examples/evaluation/houses-test.csv", Slices: []string{"region"}},
			[]string{"rows", "mae", "rmse", "r2", "mape"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := target.OpenLocal(ctx, tc.repo, tc.model, "1", "")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			o := evaluate.Options{Data: tc.spec, Batch: 16, Bootstrap: 20, TopK: 2}
			o.ExactRows = -1
			full, err := evaluate.Run(ctx, l, o)
			if err != nil {
				t.Fatal(err)
			}
			o.ExactRows = 100
			sampled, err := evaluate.Run(ctx, l, o)
			if err != nil {
				t.Fatal(err)
			}
			if full.SampledRows != 0 || sampled.SampledRows != 100 || sampled.Rows != full.Rows {
				t.Fatalf("rows %d/%d, sampled %d/%d", sampled.Rows, full.Rows, sampled.SampledRows, full.SampledRows)
			}
			for _, name := range tc.figures {
				got, ok := sampled.Metrics[name]
				if want := full.Metrics[name]; !ok || math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %v (present %v), every row %v", name, got, ok, want)
				}
			}
			for i, row := range full.ConfusionMatrix {
				for j, v := range row {
					if sampled.ConfusionMatrix[i][j] != v {
						t.Fatalf("confusion[%d][%d] = %v, every row %v", i, j, sampled.ConfusionMatrix[i][j], v)
					}
				}
			}
			for b, bin := range full.Reliability {
				if s := sampled.Reliability[b]; s.Weight != bin.Weight || math.Abs(s.Confidence-bin.Confidence) > 1e-9 || math.Abs(s.Accuracy-bin.Accuracy) > 1e-9 {
					t.Fatalf("reliability bin %d = %+v, every row %+v", b, s, bin)
				}
			}
			if len(sampled.Warnings) == 0 {
				t.Fatal("no warning that figures come from a sample")
			}
		})
	}
}
