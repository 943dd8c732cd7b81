package evaluate

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page, readable
// offline: tables and inline SVG plots (confusion matrix, per-class bars,
// ROC and PR curves, reliability diagram, per-group bars with the gate's
// bounds), no scripts and nothing fetched.
func WriteHTML(w io.Writer, rep *Report, gate *GateResult) error {
	clean(rep)
	var md strings.Builder
	if err := WriteMarkdown(&md, rep, gate); err != nil {
		return err
	}
	data := struct {
		Title string
		Rep   *Report
		Gate  *GateResult
		Plots []template.HTML
		Rows  [][2]string
	}{Title: fmt.Sprintf("Evaluation of %s version %s", rep.Model, rep.Version), Rep: rep, Gate: gate, Plots: plots(rep, gate)}
	for _, name := range sortedKeys(rep.Metrics) {
		v := fmt.Sprintf("%.6g", rep.Metrics[name])
		if iv, ok := rep.Intervals[name]; ok {
			v += fmt.Sprintf(" (%g%%: %.4g – %.4g)", 100*iv.Level, iv.Low, iv.High)
		}
		data.Rows = append(data.Rows, [2]string{name, v})
	}
	return page.Execute(w, data)
}

// plots are the report's SVG figures.
func plots(rep *Report, gate *GateResult) []template.HTML {
	var out []string
	if len(rep.ConfusionMatrix) > 0 {
		out = append(out, confusionSVG(rep.ConfusionMatrix, rep.Classes))
		cats := make([]string, len(rep.PerClass))
		vals := [][]float64{make([]float64, len(cats)), make([]float64, len(cats)), make([]float64, len(cats))}
		for i, c := range rep.PerClass {
			cats[i] = c.Class
			vals[0][i], vals[1][i], vals[2][i] = c.Precision, c.Recall, c.F1
		}
		out = append(out, barsSVG("per-class", "Per-class precision, recall and F1", cats, []string{"precision", "recall", "F1"}, vals, nil))
	}
	if len(rep.ROC) > 0 {
		out = append(out, curvesSVG("roc", "ROC curves (one class against the rest)", "false positive rate", "true positive rate", rep.ROC, rep.CurveClasses, true))
		out = append(out, curvesSVG("pr", "Precision-recall curves", "recall", "precision", rep.PR, rep.CurveClasses, false))
	}
	if len(rep.Reliability) > 0 {
		out = append(out, reliabilitySVG(rep.Reliability))
	}
	if f := rep.Fairness; f != nil {
		out = append(out, groupPlots(rep, f, gate)...)
	}
	html := make([]template.HTML, len(out))
	for i, s := range out {
		html[i] = template.HTML(s) // built from escaped text in svg.go
	}
	return html
}

// groupPlots are one bar chart per group metric, with the gate's bounds
// for that metric.
func groupPlots(rep *Report, f *Fairness, gate *GateResult) []string {
	groups := sortedKeys(f.Groups)
	var out []string
	for _, name := range []string{mainMetric(rep), "selection_rate", "true_positive_rate", "false_positive_rate"} {
		vals := make([]float64, len(groups))
		any := false
		for i, g := range groups {
			v, ok := f.Groups[g][name]
			if !ok {
				v = math.NaN()
			}
			vals[i], any = v, any || ok
		}
		if !any {
			continue
		}
		var b *Bound
		if gate != nil {
			if gb, ok := gate.GroupBounds[name]; ok {
				b = &gb
			}
		}
		title := "Per-group " + name
		if b != nil {
			title += " (dashed: the gate's bounds)"
		}
		out = append(out, barsSVG("group-"+name, title, groups, []string{name}, [][]float64{vals}, b))
	}
	return out
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
figure{display:inline-block;margin:0.5em;vertical-align:top}figcaption{font-size:13px;font-weight:600}
.pass{color:#2ca02c}.fail{color:#d62728}.warn{color:#b8860b}
</style></head><body><main>
<h1>{{.Title}}</h1>
<p>{{.Rep.Rows}} rows of <code>{{.Rep.Dataset}}</code>, {{.Rep.Task}}.
Model time {{printf "%.0f" .Rep.Latency.SamplesPerSecond}} samples/s; batch latency p50 {{printf "%.2f" .Rep.Latency.P50}} ms, p99 {{printf "%.2f" .Rep.Latency.P99}} ms.</p>
{{with .Gate}}{{if .Passed}}<p class="pass" id="gate">Gate passed ({{.Checked}} checks).</p>{{else}}
<p class="fail" id="gate">Gate failed: {{len .Failures}} of {{.Checked}} checks.</p>
<table><tr><th>check</th><th>value</th><th>bound</th><th>off by</th></tr>
{{range .Failures}}<tr><td>{{.Check}}</td><td>{{if .Missing}}missing{{else}}{{printf "%.6g" .Value}}{{end}}</td><td>{{.Bound}}</td><td>{{printf "%.6g" .By}}</td></tr>{{end}}
</table>{{end}}{{end}}
{{range .Rep.Warnings}}<p class="warn">warning: {{.}}</p>{{end}}
<h2>Metrics</h2>
<table><tr><th>metric</th><th>value</th></tr>{{range .Rows}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>
<h2>Plots</h2>
{{range .Plots}}{{.}}{{end}}
{{with .Rep.Fairness}}<h2>Fairness</h2>
<table><tr><th>figure</th><th>value</th></tr>{{range $k, $v := .Metrics}}<tr><td>{{$k}}</td><td>{{printf "%.6g" $v}}</td></tr>{{end}}</table>{{end}}
{{range $col, $s := .Rep.Slices}}<h2>Slice {{$col}}</h2><table><tr><th>value</th><th>metrics</th></tr>
{{range $v, $m := $s}}<tr><td>{{$v}}</td><td>{{range $k, $x := $m}}{{$k}}={{printf "%.4g" $x}} {{end}}</td></tr>{{end}}</table>{{end}}
</main></body></html>
`))
