package drift_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	_ "github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/tensor"
)

// digits runs the digits CNN on 8x8 images (pixels in [0, 1]) and returns
// their feature rows, as the server's capture would see them.
type digits struct {
	sess engine.Session
}

func newDigits(t testing.TB) *digits {
	t.Helper()
	path := filepath.Join(testutil.ExamplesDir(), "digits", "1", "model.onnx")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.Get("native")
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.Load(context.Background(), engine.ModelFile{Name: path, Data: data}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &digits{sess: s}
}

func (d *digits) rows(t testing.TB, images [][]float32) []drift.Row {
	t.Helper()
	var rows []drift.Row
	for _, img := range images {
		in := map[string]*tensor.Tensor{"input": tensor.MustFromSlice(img, 1, 1, 8, 8)}
		out, err := d.sess.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, drift.Extract(in, out)...)
	}
	return rows
}

// referenceImages are examples/digits' 50 images as the server feeds them.
func referenceImages(t testing.TB) [][]float32 {
	var out [][]float32
	for _, img := range testutil.LoadReference(t).Images {
		px := make([]float32, 64)
		for i, v := range img.Pixels {
			px[i] = float32(v) / 255
		}
		out = append(out, px)
	}
	return out
}

// The shifts: the "masks" of this dataset.
var shifts = map[string]func(img []float32, r *rand.Rand) []float32{
	"rotated": func(img []float32, _ *rand.Rand) []float32 { // 90° clockwise
		out := make([]float32, 64)
		for y := range 8 {
			for x := range 8 {
				out[x*8+(7-y)] = img[y*8+x]
			}
		}
		return out
	},
	"inverted": func(img []float32, _ *rand.Rand) []float32 {
		out := make([]float32, 64)
		for i, v := range img {
			out[i] = 1 - v
		}
		return out
	},
	"noisy": func(img []float32, r *rand.Rand) []float32 {
		out := make([]float32, 64)
		for i, v := range img {
			out[i] = float32(math.Min(1, math.Max(0, float64(v)+0.25*r.NormFloat64())))
		}
		return out
	},
}

// windowOf draws n rows with replacement.
func windowOf(rows []drift.Row, n int, r *rand.Rand) []drift.Row {
	w := make([]drift.Row, n)
	for i := range w {
		w[i] = rows[r.IntN(len(rows))]
	}
	return w
}

// TestDigitsDrift is the demonstration: a profile of the digits model on
// its example images, calibrated for windows of 200 at a 1% false alarm
// rate. In-distribution windows alarm at about that rate; rotated,
// inverted and noisy digits alarm within 3 windows.
func TestDigitsDrift(t *testing.T) {
	const window, alpha = 200, 0.01
	d := newDigits(t)
	ref := d.rows(t, referenceImages(t))
	p := drift.NewProfile("digits", 1, "examples/digits/images")
	for _, r := range ref {
		p.Add(r)
	}
	cfg := drift.Config{}
	cal, err := drift.Calibrate(p, ref, window, 400, alpha, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.Calibration = cal
	t.Logf("%d features; score threshold %.3f (calibrated on %d windows)", len(p.Features()), cal.Threshold, cal.Windows)

	r := rand.New(rand.NewPCG(7, 8))
	const trials = 300
	alarms := 0
	for range trials {
		if drift.Compare(p, windowOf(ref, window, r), cfg).Detected {
			alarms++
		}
	}
	rate := float64(alarms) / trials
	// 3 standard deviations of a binomial rate above alpha.
	if bound := alpha + 3*math.Sqrt(alpha*(1-alpha)/trials); rate > bound {
		t.Fatalf("false alarm rate %.4f over %d in-distribution windows, configured %.2f (bound %.4f)", rate, trials, alpha, bound)
	}
	t.Logf("false alarm rate %.4f over %d in-distribution windows (configured %.2f)", rate, trials, alpha)

	for name, shift := range shifts {
		var imgs [][]float32
		for k := range 4 { // noise differs per request
			for _, img := range referenceImages(t) {
				imgs = append(imgs, shift(img, rand.New(rand.NewPCG(uint64(k), 9))))
			}
		}
		shifted := d.rows(t, imgs)
		found := 0
		for w := 1; w <= 3 && found == 0; w++ {
			rep := drift.Compare(p, windowOf(shifted, window, r), cfg)
			if rep.Detected {
				found = w
				t.Logf("%s: detected in window %d: score %.1f (threshold %.3f), %.0f%% of features drifted; prediction %s p=%.2g",
					name, w, rep.Score, rep.Threshold, 100*rep.Share, rep.Prediction.Test, rep.Prediction.PValue)
			}
		}
		if found == 0 {
			t.Errorf("%s digits: no alarm within 3 windows of %d", name, window)
		}
	}
}

// BenchmarkDigitsFalseAlarm measures the false alarm rate of TestDigitsDrift's
// setting over many windows: for each of -benchtime calibrations (seeds),
// 2,000 calibration windows and 2,000 fresh in-distribution windows
// (drawn by another generator). It reports the mean rate over the
// calibrations ("false-alarms/window") and the worst one; the configured
// rate is 0.01. Slow (tens of seconds per calibration on a busy machine):
//
//	go test -run X -bench DigitsFalseAlarm -benchtime 3x ./monitor/drift/
func BenchmarkDigitsFalseAlarm(b *testing.B) {
	const window, alpha, trials = 200, 0.01, 2000
	d := newDigits(b)
	ref := d.rows(b, referenceImages(b))
	p := drift.NewProfile("digits", 1, "examples/digits/images")
	for _, r := range ref {
		p.Add(r)
	}
	var rates []float64
	seed := uint64(0)
	for b.Loop() {
		seed++
		cal, err := drift.Calibrate(p, ref, window, 2000, alpha, drift.Config{}, seed)
		if err != nil {
			b.Fatal(err)
		}
		p.Calibration = cal
		// Seeds far apart in both words: PCG streams whose seeds differ in
		// one word only share half their state and draw alike.
		r := rand.New(rand.NewPCG(seed*0x9e3779b97f4a7c15, ^seed*0xbf58476d1ce4e5b9))
		alarms := 0
		for range trials {
			if drift.Compare(p, windowOf(ref, window, r), drift.Config{}).Detected {
				alarms++
			}
		}
		rates = append(rates, float64(alarms)/trials)
		b.Logf("calibration %d: threshold %.4f, false alarm rate %.4f over %d windows", seed, cal.Threshold, rates[len(rates)-1], trials)
	}
	sum, worst := 0.0, 0.0
	for _, x := range rates {
		sum, worst = sum+x, max(worst, x)
	}
	b.ReportMetric(sum/float64(len(rates)), "false-alarms/window")
	b.ReportMetric(worst, "worst-false-alarms/window")
}
