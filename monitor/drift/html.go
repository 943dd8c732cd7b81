package drift

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/inferd/inferd/monitor/sketch"
)

// HTMLWindow is one window of an HTML report: its rows and their report.
type HTMLWindow struct {
	Rows   []Row
	Report Report
}

// histogramBins is the bins of a numeric feature's histograms;
// plottedFeatures the features per window whose histograms are drawn
// (the most drifted first).
const (
	histogramBins   = 12
	plottedFeatures = 12
)

// WriteHTML writes a self-contained HTML drift report (inline SVG, no
// scripts or external files) of model version's windows against p: per
// window the verdict and dataset score, then for each feature its test,
// statistic, p-value and the level or distance threshold it was held to,
// and for the most drifted features the reference histogram (from the
// profile's sketches) beside the window's.
func WriteHTML(w io.Writer, p *Profile, windows []HTMLWindow, cfg Config) error {
	cfg = cfg.withDefaults()
	type feature struct {
		FeatureResult
		P, Threshold string
	}
	type window struct {
		N               int
		Report          Report
		Features        []feature
		Plots           []template.HTML
		EstimatedAcc    string
		PredictionDrift string
	}
	data := struct {
		Model   string
		Version int
		Source  string
		Rows    int64
		Windows []window
		Level   string
	}{Model: p.Model, Version: p.Version, Source: p.Source, Rows: p.Rows,
		Level: fmt.Sprintf("p-values corrected by %s at %.3g; distances (from %d rows) against %.3g", cfg.Correction, cfg.Level, cfg.LargeWindow, cfg.DistanceThreshold)}
	for i, win := range windows {
		wd := window{N: i + 1, Report: win.Report}
		for _, f := range win.Report.Top(len(win.Report.Features)) {
			th := fmt.Sprintf("level %.3g", cfg.Level)
			if math.IsNaN(f.PValue) {
				th = fmt.Sprintf("distance %.3g", cfg.DistanceThreshold)
			}
			wd.Features = append(wd.Features, feature{FeatureResult: f, P: pstring(f.PValue), Threshold: th})
		}
		for _, f := range win.Report.Top(plottedFeatures) {
			wd.Plots = append(wd.Plots, template.HTML(histogramSVG(p, f, win.Rows))) // built from numbers and escaped names
		}
		if !math.IsNaN(win.Report.EstimatedAccuracy) {
			wd.EstimatedAcc = fmt.Sprintf("%.3f (reference %.3f)", win.Report.EstimatedAccuracy, win.Report.ReferenceConfidence)
		}
		if pr := win.Report.Prediction; pr != nil {
			wd.PredictionDrift = fmt.Sprintf("%s: %s %.4f, p %s", pr.Feature, pr.Test, pr.Score, pstring(pr.PValue))
		}
		data.Windows = append(data.Windows, wd)
	}
	return htmlReport.Execute(w, data)
}

func pstring(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return fmt.Sprintf("%.3g", p)
}

var htmlReport = template.Must(template.New("drift").Funcs(template.FuncMap{"mul100": func(v float64) float64 { return 100 * v }}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Drift of {{.Model}} version {{.Version}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}
.drift{color:#b00;font-weight:bold}.ok{color:#070}.plots{display:flex;flex-wrap:wrap;gap:1em}
svg text{font-size:10px}.ref{fill:#4878d0}.cur{fill:#ee854a}
</style></head><body><main>
<h1>Drift of {{.Model}} version {{.Version}}</h1>
<p>Reference profile: {{.Rows}} rows ({{.Source}}). {{.Level}}.
Legend: <span style="color:#4878d0">■ reference</span> <span style="color:#ee854a">■ window</span>.</p>
{{range .Windows}}<h2>Window {{.N}} ({{.Report.Rows}} requests):
{{if .Report.Detected}}<span class="drift">DRIFT</span>{{else}}<span class="ok">no drift</span>{{end}}</h2>
<p>Dataset score {{printf "%.3f" .Report.Score}} against threshold {{printf "%.3f" .Report.Threshold}};
{{printf "%.0f" (mul100 .Report.Share)}}% of {{len .Report.Features}} features drifted.
{{if .PredictionDrift}}Prediction drift: {{.PredictionDrift}}.{{end}}
{{if .EstimatedAcc}}Estimated accuracy without labels (mean confidence): {{.EstimatedAcc}}.{{end}}</p>
<div class="plots">{{range .Plots}}{{.}}{{end}}</div>
<table><tr><th>feature</th><th>test</th><th>statistic</th><th>p-value</th><th>held to</th><th>missing</th><th>drifted</th></tr>
{{range .Features}}<tr><td>{{.Feature}}</td><td>{{.Test}}</td><td>{{printf "%.4f" .Score}}</td><td>{{.P}}</td><td>{{.Threshold}}</td>
<td>{{printf "%.0f" (mul100 .Missing)}}%</td><td>{{if .Drifted}}<span class="drift">yes</span>{{else}}no{{end}}</td></tr>
{{end}}</table>{{end}}
</main></body></html>
`))

// histogramSVG draws feature f's reference and window distributions as
// paired bars: numeric features over bins spanning both, categorical ones
// over the most common values.
func histogramSVG(p *Profile, f FeatureResult, rows []Row) string {
	var labels []string
	var ref, cur []float64
	if n, ok := p.Numeric[f.Feature]; ok {
		labels, ref, cur = numericBins(n.Sketch, rows, f.Feature)
	} else if c, ok := p.Categorical[f.Feature]; ok {
		labels, ref, cur = categoryBars(c.Frequent, rows, f.Feature)
	}
	return barsSVG(f.Feature+" ("+f.Test+")", labels, ref, cur)
}

// numericBins are histogramBins equal bins over the reference's 0.5–99.5%
// range and the window's values; the outer bins take the tails.
func numericBins(q *sketch.Quantiles, rows []Row, name string) (labels []string, ref, cur []float64) {
	var vals []float64
	for _, r := range rows {
		if v, ok := r.Num[name]; ok && !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	lo, hi := q.Quantile(0.005), q.Quantile(0.995)
	for _, v := range vals {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	width := (hi - lo) / histogramBins
	ref, cur = make([]float64, histogramBins), make([]float64, histogramBins)
	prev := 0.0
	for i := range histogramBins {
		edge := lo + float64(i+1)*width
		c := 1.0
		if i < histogramBins-1 {
			c = q.CDF(edge)
		}
		ref[i], prev = math.Max(c-prev, 0), c
		labels = append(labels, fmt.Sprintf("%.3g", lo+float64(i)*width))
	}
	for _, v := range vals {
		cur[min(int((v-lo)/width), histogramBins-1)] += 1 / float64(len(vals))
	}
	return labels, ref, cur
}

// categoryBars are the shares of the 10 values most common in the
// reference or the window.
func categoryBars(fr *sketch.Frequent, rows []Row, name string) (labels []string, ref, cur []float64) {
	refShare := fr.Share()
	win := map[string]float64{}
	n := 0
	for _, r := range rows {
		if v, ok := r.Cat[name]; ok {
			win[v]++
			n++
		}
	}
	keys := map[string]float64{}
	for k, v := range refShare {
		keys[k] = v
	}
	for k, v := range win {
		keys[k] = math.Max(keys[k], v/float64(max(n, 1)))
	}
	for k := range keys {
		labels = append(labels, k)
	}
	sort.Slice(labels, func(i, j int) bool {
		return keys[labels[i]] > keys[labels[j]] || keys[labels[i]] == keys[labels[j]] && labels[i] < labels[j]
	})
	labels = labels[:min(len(labels), 10)]
	sort.Strings(labels)
	for i, k := range labels {
		ref, cur = append(ref, refShare[k]), append(cur, win[k]/float64(max(n, 1)))
		if k == sketch.Other {
			labels[i] = "(other)"
		}
	}
	return labels, ref, cur
}

// barsSVG draws paired bars (reference, window) per label.
func barsSVG(title string, labels []string, ref, cur []float64) string {
	const w, h, top, bottom, left = 360.0, 200.0, 20.0, 40.0, 30.0
	top1 := 0.0
	for i := range ref {
		top1 = math.Max(top1, math.Max(ref[i], cur[i]))
	}
	if top1 == 0 {
		top1 = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img"><title>%s</title>`, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="12">%s</text>`, left, template.HTMLEscapeString(title))
	slot := (w - left) / float64(max(len(labels), 1))
	for i, l := range labels {
		x := left + float64(i)*slot
		for j, v := range []float64{ref[i], cur[i]} {
			bh := v / top1 * (h - top - bottom)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`,
				[]string{"ref", "cur"}[j], x+float64(j)*slot*0.4+slot*0.1, h-bottom-bh, slot*0.4, bh)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" transform="rotate(45 %.1f %.0f)">%s</text>`, x+slot/4, h-bottom+10, x+slot/4, h-bottom+10, template.HTMLEscapeString(trimLabel(l)))
	}
	fmt.Fprintf(&b, `<text x="0" y="%.0f">%.2f</text><line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#888"/></svg>`, top+4, top1, left, h-bottom, w, h-bottom)
	return b.String()
}

func trimLabel(s string) string {
	if r := []rune(s); len(r) > 10 {
		return string(r[:9]) + "…"
	}
	return s
}
