package drift_test

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/inferd/inferd/monitor/drift"
)

// The HTML report is self-contained and shows, per window, the verdict,
// each feature's test, statistic, p-value and threshold, and histograms.
func TestWriteHTML(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	row := func(shift float64) drift.Row {
		return drift.Row{Num: map[string]float64{"x<0>": r.NormFloat64() + shift},
			Cat: map[string]string{"class": strconv.Itoa(r.IntN(3) + int(shift))}}
	}
	p := drift.NewProfile("m", 2, "test rows")
	for range 2000 {
		p.Add(row(0))
	}
	var windows []drift.HTMLWindow
	for _, shift := range []float64{0, 3} {
		var rows []drift.Row
		for range 300 {
			rows = append(rows, row(shift))
		}
		windows = append(windows, drift.HTMLWindow{Rows: rows, Report: drift.Compare(p, rows, drift.Config{})})
	}
	if windows[0].Report.Detected || !windows[1].Report.Detected {
		t.Fatalf("detected %v, %v; want only the shifted window", windows[0].Report.Detected, windows[1].Report.Detected)
	}
	var b bytes.Buffer
	if err := drift.WriteHTML(&b, p, windows, drift.Config{}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"Drift of m version 2", "Window 1 (300 requests)", "no drift", "Window 2 (300 requests)", "DRIFT",
		"<td>x&lt;0&gt;</td><td>ks</td>", "<td>class</td><td>chisquare</td>", "level 0.05", `<svg`, `class="ref"`, `class="cur"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "src=", "href=", "x<0>"} {
		if strings.Contains(html, banned) {
			t.Errorf("the report contains %q: it must be self-contained and escaped", banned)
		}
	}
}
