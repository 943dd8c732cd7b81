package evaluate

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/inferd/inferd/evaluate/metrics"
)

// The plots of the HTML report: small hand-written SVG, no scripts.

const (
	plotW, plotH = 420, 300
	padL, padB   = 48, 36
	padT, padR   = 16, 16
)

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

func color(i int) string { return palette[i%len(palette)] }

// frame is a plot with axes over [x0,x1]×[y0,y1].
type frame struct {
	b              strings.Builder
	x0, x1, y0, y1 float64
	// bars: categories on the x axis (no numeric ticks), legend on top.
	bars bool
}

func newFrame(id, title string, x0, x1, y0, y1 float64, xlabel, ylabel string) *frame {
	return newFrameOf(id, title, x0, x1, y0, y1, xlabel, ylabel, false)
}

func newFrameOf(id, title string, x0, x1, y0, y1 float64, xlabel, ylabel string, bars bool) *frame {
	f := &frame{x0: x0, x1: x1, y0: y0, y1: y1, bars: bars}
	fmt.Fprintf(&f.b, `<figure><figcaption>%s</figcaption><svg class="plot" id="%s" width="%d" height="%d" viewBox="0 0 %d %d">`,
		html.EscapeString(title), id, plotW, plotH, plotW, plotH)
	fmt.Fprintf(&f.b, `<rect class="axes" x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`, padL, padT, plotW-padL-padR, plotH-padT-padB)
	for i := 0; i <= 4; i++ {
		v := y0 + (y1-y0)*float64(i)/4
		fmt.Fprintf(&f.b, `<text x="%d" y="%.1f" font-size="10" text-anchor="end">%.2g</text>`, padL-4, f.y(v)+3, v)
		if bars {
			continue
		}
		u := x0 + (x1-x0)*float64(i)/4
		fmt.Fprintf(&f.b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle">%.2g</text>`, f.x(u), plotH-padB+14, u)
	}
	fmt.Fprintf(&f.b, `<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`, (plotW+padL)/2, plotH-4, html.EscapeString(xlabel))
	fmt.Fprintf(&f.b, `<text x="12" y="%d" font-size="11" text-anchor="middle" transform="rotate(-90 12 %d)">%s</text>`, plotH/2, plotH/2, html.EscapeString(ylabel))
	return f
}

func (f *frame) x(v float64) float64 {
	return padL + (v-f.x0)/(f.x1-f.x0)*float64(plotW-padL-padR)
}

func (f *frame) y(v float64) float64 {
	return float64(plotH-padB) - (v-f.y0)/(f.y1-f.y0)*float64(plotH-padT-padB)
}

func (f *frame) line(xs, ys []float64, stroke, class string) {
	var pts strings.Builder
	for i := range xs {
		fmt.Fprintf(&pts, "%.1f,%.1f ", f.x(xs[i]), f.y(ys[i]))
	}
	fmt.Fprintf(&f.b, `<polyline class="%s" fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, class, stroke, pts.String())
}

func (f *frame) legend(i int, text, stroke string) {
	if f.bars {
		fmt.Fprintf(&f.b, `<text x="%d" y="%d" font-size="10" fill="%s">%s</text>`, padL+90*i, padT-4, stroke, html.EscapeString(text))
		return
	}
	fmt.Fprintf(&f.b, `<text x="%d" y="%d" font-size="10" fill="%s">%s</text>`, plotW-padR-90, padT+12+12*i, stroke, html.EscapeString(text))
}

func (f *frame) end() string {
	f.b.WriteString("</svg></figure>\n")
	return f.b.String()
}

// curvesSVG plots ROC or PR curves, one per class.
func curvesSVG(id, title, xlabel, ylabel string, curves []metrics.Curve, names []string, diagonal bool) string {
	f := newFrame(id, title, 0, 1, 0, 1, xlabel, ylabel)
	if diagonal {
		f.line([]float64{0, 1}, []float64{0, 1}, "#ccc", "diagonal")
	}
	for i, c := range curves {
		f.line(c.X, c.Y, color(i), "curve")
		if i < 12 {
			f.legend(i, names[i], color(i))
		}
	}
	return f.end()
}

// barsSVG plots groups of bars: values[series][category]; bounds, when
// set, draw the gate's lower and upper limits as dashed lines.
func barsSVG(id, title string, cats, series []string, values [][]float64, bounds *Bound) string {
	hi := 1.0
	for _, s := range values {
		for _, v := range s {
			if !math.IsNaN(v) {
				hi = math.Max(hi, v)
			}
		}
	}
	f := newFrameOf(id, title, 0, float64(len(cats)), 0, hi, "", "", true)
	slot := float64(plotW-padL-padR) / float64(max(len(cats), 1))
	bw := slot * 0.8 / float64(max(len(series), 1))
	for c, cat := range cats {
		for s := range series {
			v := values[s][c]
			if math.IsNaN(v) {
				continue
			}
			x := float64(padL) + slot*float64(c) + slot*0.1 + bw*float64(s)
			fmt.Fprintf(&f.b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.4g</title></rect>`,
				x, f.y(v), bw, f.y(0)-f.y(v), color(s), html.EscapeString(cat), html.EscapeString(series[s]), v)
		}
		if len(cats) <= 16 {
			fmt.Fprintf(&f.b, `<text x="%.1f" y="%d" font-size="9" text-anchor="middle">%s</text>`, float64(padL)+slot*(float64(c)+0.5), plotH-padB+26, html.EscapeString(trim(cat, 14)))
		}
	}
	for s, name := range series {
		f.legend(s, name, color(s))
	}
	if bounds != nil {
		for _, b := range []*float64{bounds.Min, bounds.Max} {
			if b != nil && *b <= hi {
				fmt.Fprintf(&f.b, `<line class="bound" x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d62728" stroke-dasharray="5,3"/>`, padL, plotW-padR, f.y(*b), f.y(*b))
			}
		}
	}
	return f.end()
}

func trim(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// confusionSVG is the confusion matrix as a heat map, each row shaded by
// its share of the true class.
func confusionSVG(cm [][]float64, names []string) string {
	k := len(cm)
	size := 300
	cell := float64(size) / float64(max(k, 1))
	var b strings.Builder
	fmt.Fprintf(&b, `<figure><figcaption>Confusion matrix (rows: true class, columns: predicted)</figcaption><svg class="plot" id="confusion" width="%d" height="%d">`, size+60, size+40)
	for t, row := range cm {
		sum := 0.0
		for _, v := range row {
			sum += v
		}
		for p, v := range row {
			share := 0.0
			if sum > 0 {
				share = v / sum
			}
			fmt.Fprintf(&b, `<rect class="cell" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="rgb(%d,%d,255)"><title>true %s, predicted %s: %g</title></rect>`,
				50+cell*float64(p), 10+cell*float64(t), cell, cell, int(255*(1-share)), int(255*(1-share*0.7)), html.EscapeString(names[t]), html.EscapeString(names[p]), v)
			if k <= 12 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%g</text>`, 50+cell*(float64(p)+0.5), 10+cell*(float64(t)+0.5)+3, v)
			}
		}
		if k <= 20 {
			fmt.Fprintf(&b, `<text x="46" y="%.1f" font-size="10" text-anchor="end">%s</text>`, 10+cell*(float64(t)+0.5)+3, html.EscapeString(trim(names[t], 8)))
		}
	}
	b.WriteString("</svg></figure>\n")
	return b.String()
}

// reliabilitySVG is the reliability diagram: accuracy against confidence
// per bin, with the diagonal of perfect calibration.
func reliabilitySVG(bins []metrics.Bin) string {
	f := newFrame("reliability", "Reliability diagram (bars: accuracy per confidence bin)", 0, 1, 0, 1, "confidence", "accuracy")
	f.line([]float64{0, 1}, []float64{0, 1}, "#ccc", "diagonal")
	for _, b := range bins {
		if b.Weight == 0 {
			continue
		}
		fmt.Fprintf(&f.b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.7"><title>(%.2f, %.2f]: accuracy %.3f, confidence %.3f, weight %g</title></rect>`,
			f.x(b.Lower), f.y(b.Accuracy), f.x(b.Upper)-f.x(b.Lower)-1, f.y(0)-f.y(b.Accuracy), color(0), b.Lower, b.Upper, b.Accuracy, b.Confidence, b.Weight)
	}
	return f.end()
}
