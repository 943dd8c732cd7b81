package evaluate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteJSON writes the report (and the gate result, when there is one)
// as indented JSON. NaN and infinite values, which JSON cannot hold, are
// left out of the metric maps.
func WriteJSON(w io.Writer, rep *Report, gate *GateResult) error {
	clean(rep)
	v := struct {
		*Report
		Gate *GateResult `json:"gate,omitempty"`
	}{rep, gate}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func clean(rep *Report) {
	drop := func(m map[string]float64) {
		for k, v := range m {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				delete(m, k)
			}
		}
	}
	drop(rep.Metrics)
	if rep.Fairness != nil {
		drop(rep.Fairness.Metrics)
		for _, g := range rep.Fairness.Groups {
			drop(g)
		}
	}
}

// headlineNames are the metrics a summary shows first, in order.
var headlineNames = []string{"accuracy", "balanced_accuracy", "f1_macro", "precision_macro", "recall_macro", "f1_weighted",
	"top_k_accuracy", "roc_auc", "pr_auc", "log_loss", "expected_calibration_error", "mae", "rmse", "r2", "mape"}

// WriteMarkdown writes a summary for CI logs and pull requests.
func WriteMarkdown(w io.Writer, rep *Report, gate *GateResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Evaluation of %s version %s\n\n", rep.Model, rep.Version)
	fmt.Fprintf(&b, "%d rows of `%s`, %s", rep.Rows, rep.Dataset, rep.Task)
	if rep.Task == "classification" {
		fmt.Fprintf(&b, " (%d classes, top-k k=%d)", len(rep.Classes), rep.TopK)
	}
	fmt.Fprintf(&b, "; %.0f samples/s in the model, p50 %.2f ms, p99 %.2f ms per batch of up to %s.\n\n",
		rep.Latency.SamplesPerSecond, rep.Latency.P50, rep.Latency.P99, batchWord(rep))
	if gate != nil {
		writeGateMarkdown(&b, gate)
	}
	b.WriteString("| metric | value | 95% interval |\n|---|---|---|\n")
	for _, name := range headlineNames {
		v, ok := rep.Metrics[name]
		if !ok {
			continue
		}
		iv := ""
		if i, ok := rep.Intervals[name]; ok {
			iv = fmt.Sprintf("%.4f – %.4f", i.Low, i.High)
		}
		fmt.Fprintf(&b, "| %s | %.4f | %s |\n", name, v, iv)
	}
	if len(rep.PerClass) > 0 {
		b.WriteString("\n| class | precision | recall | f1 | support |\n|---|---|---|---|---|\n")
		for _, c := range rep.PerClass {
			fmt.Fprintf(&b, "| %s | %.4f | %.4f | %.4f | %g |\n", c.Class, c.Precision, c.Recall, c.F1, c.Support)
		}
	}
	for _, col := range sortedKeys(rep.Slices) {
		fmt.Fprintf(&b, "\n**Slice `%s`**\n\n| value | rows | %s |\n|---|---|---|\n", col, mainMetric(rep))
		for _, v := range sortedKeys(rep.Slices[col]) {
			m := rep.Slices[col][v]
			fmt.Fprintf(&b, "| %s | %g | %.4f |\n", v, m["rows"], m[mainMetric(rep)])
		}
	}
	if f := rep.Fairness; f != nil {
		writeFairnessMarkdown(&b, rep, f)
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(&b, "\n> warning: %s\n", warn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func batchWord(rep *Report) string { return fmt.Sprintf("%d rows", rep.Batch) }

func mainMetric(rep *Report) string {
	if rep.Task == "regression" {
		return "mae"
	}
	return "accuracy"
}

func writeFairnessMarkdown(b *strings.Builder, rep *Report, f *Fairness) {
	fmt.Fprintf(b, "\n**Fairness across `%s`**", strings.Join(f.Columns, "` × `"))
	if f.PositiveClass != "" {
		fmt.Fprintf(b, " (positive class %s)", f.PositiveClass)
	}
	cols := []string{"rows", mainMetric(rep), "selection_rate", "true_positive_rate", "false_positive_rate"}
	b.WriteString("\n\n| group | " + strings.Join(cols, " | ") + " |\n|---" + strings.Repeat("|---", len(cols)) + "|\n")
	for _, g := range sortedKeys(f.Groups) {
		fmt.Fprintf(b, "| %s |", g)
		for _, c := range cols {
			if v, ok := f.Groups[g][c]; ok {
				fmt.Fprintf(b, " %.4g |", v)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n| fairness metric | value |\n|---|---|\n")
	for _, name := range []string{"demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
		"equalized_odds_ratio", "equal_opportunity_difference", mainMetric(rep) + "_difference", mainMetric(rep) + "_ratio"} {
		if v, ok := f.Metrics[name]; ok {
			fmt.Fprintf(b, "| %s | %.4f |\n", name, v)
		}
	}
}

func writeGateMarkdown(b *strings.Builder, g *GateResult) {
	if g.Passed {
		fmt.Fprintf(b, "**Gate passed** (%d checks).\n\n", g.Checked)
		return
	}
	fmt.Fprintf(b, "**Gate failed**: %d of %d checks.\n\n| check | value | bound | by |\n|---|---|---|---|\n", len(g.Failures), g.Checked)
	for _, f := range g.Failures {
		fmt.Fprintf(b, "| %s | %.4f | %s | %.4f |\n", f.Check, f.Value, f.Bound, f.By)
	}
	b.WriteString("\n")
}
