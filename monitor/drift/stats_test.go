package drift

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/inferd/inferd/monitor/sketch"
)

func sketchOf(vals ...float64) *sketch.Quantiles {
	q := sketch.NewQuantiles(0)
	for _, v := range vals {
		q.Add(v)
	}
	return q
}

func TestKS(t *testing.T) {
	tests := []struct {
		name   string
		ref    []float64
		window []float64
		d      float64
	}{
		{"same", []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, 0},
		{"disjoint", []float64{1, 2, 3}, []float64{4, 5, 6}, 1},
		{"half", []float64{1, 2, 3, 4}, []float64{3, 4, 3, 4}, 0.5},
		{"ties", []float64{0, 0, 0, 1}, []float64{0, 1, 1, 1}, 0.5},
	}
	for _, tt := range tests {
		ref := sketchOf(tt.ref...)
		xs, cdf := ref.Points()
		d, p := ks(xs, cdf, ref.N, tt.window)
		if math.Abs(d-tt.d) > 1e-12 || p < 0 || p > 1 {
			t.Errorf("%s: D=%v p=%v, want D=%v", tt.name, d, p, tt.d)
		}
	}
	// Same distribution, large samples: p-values spread over (0, 1);
	// shifted by half a deviation: tiny.
	r := rand.New(rand.NewPCG(1, 1))
	ref, same, shifted := sketch.NewQuantiles(0), make([]float64, 500), make([]float64, 500)
	for range 5000 {
		ref.Add(r.NormFloat64())
	}
	for i := range same {
		same[i], shifted[i] = r.NormFloat64(), r.NormFloat64()+0.5
	}
	xs, cdf := ref.Points()
	if _, p := ks(xs, cdf, ref.N, same); p < 0.01 {
		t.Errorf("same distribution: p=%v", p)
	}
	if _, p := ks(xs, cdf, ref.N, shifted); p > 1e-6 {
		t.Errorf("shifted: p=%v", p)
	}
	if kolmogorovQ(1.36) < 0.049 || kolmogorovQ(1.36) > 0.051 { // the 5% critical value
		t.Errorf("Q(1.36) = %v, want 0.05", kolmogorovQ(1.36))
	}
}

func TestCategoricalTests(t *testing.T) {
	f := sketch.NewFrequent(0)
	for i := range 1000 {
		f.Add([]string{"a", "b"}[i%2])
	}
	even := make([]string, 200)
	skewed := make([]string, 200)
	for i := range even {
		even[i] = []string{"a", "b"}[i%2]
		skewed[i] = "a"
		if i%10 == 0 {
			skewed[i] = "c" // unseen in the reference
		}
	}
	_, rs, wc := shares(f, even)
	if stat, p := chiSquare(rs, wc); stat > 1e-6 || p < 0.99 {
		t.Errorf("even: chi2=%v p=%v", stat, p)
	}
	if js := jensenShannon(rs, wc); js > 1e-3 {
		t.Errorf("even: JS=%v", js)
	}
	_, rs, wc = shares(f, skewed)
	if _, p := chiSquare(rs, wc); p > 1e-10 {
		t.Errorf("skewed: p=%v", p)
	}
	if js := jensenShannon(rs, wc); js < 0.3 || js > 1 {
		t.Errorf("skewed: JS=%v", js)
	}
	if v := psi([]float64{0.5, 0.5}, []float64{0.5, 0.5}); v != 0 {
		t.Errorf("PSI of equal shares %v", v)
	}
	// PSI of 0.9/0.1 against 0.5/0.5: 0.4·ln(1.8) + 0.4·ln(5) ≈ 0.879.
	if v := psi([]float64{0.5, 0.5}, []float64{0.9, 0.1}); math.Abs(v-0.8789) > 1e-3 {
		t.Errorf("PSI %v, want 0.879", v)
	}
}

func TestCorrections(t *testing.T) {
	p := []float64{0.01, 0.02, 0.03, 0.04, 0.5}
	// BH at 0.05 with m=5: thresholds 0.01, 0.02, 0.03, 0.04, 0.05.
	if got := rejected(p, 0.05, CorrectionFDR); !got[0] || !got[3] || got[4] {
		t.Errorf("BH: %v", got)
	}
	// Bonferroni: p ≤ 0.01.
	if got := rejected(p, 0.05, CorrectionBonferroni); !got[0] || got[1] {
		t.Errorf("Bonferroni: %v", got)
	}
	if m := minAdjusted(p, CorrectionFDR); math.Abs(m-0.05) > 1e-12 {
		t.Errorf("min BH-adjusted %v, want 0.05", m)
	}
}

func TestWassersteinAndPSI(t *testing.T) {
	ref := sketchOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	if w := wasserstein(ref, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1); w > 1e-12 {
		t.Errorf("same: W=%v", w)
	}
	// Every value moved by 2: W1 = 2.
	if w := wasserstein(ref, []float64{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 1); math.Abs(w-2) > 1e-9 {
		t.Errorf("shifted by 2: W=%v", w)
	}
	if v := numericPSI(ref, []float64{9, 9, 9, 9}); v < 1 {
		t.Errorf("PSI of a collapsed window %v", v)
	}
}

// A report with distance tests and no classifier encodes as JSON (NaN as null).
func TestReportJSON(t *testing.T) {
	p := NewProfile("m", 1, "test")
	for i := range 100 {
		p.Add(Row{Num: map[string]float64{"x": float64(i)}, Cat: map[string]string{}})
	}
	rows := make([]Row, 1200)
	for i := range rows {
		rows[i] = Row{Num: map[string]float64{"x": float64(i % 100)}}
	}
	rep := Compare(p, rows, Config{})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"test":"wasserstein"`) || !strings.Contains(string(b), `"p_value":null`) || !strings.Contains(string(b), `"estimated_accuracy":null`) {
		t.Fatalf("%s", b)
	}
	if rep.Detected || rep.Features[0].Score > 0.05 {
		t.Fatalf("the reference itself drifted: %+v", rep)
	}
}
