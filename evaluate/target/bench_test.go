package target_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/target"
	"github.com/inferd/inferd/serving"
)

// BenchmarkEvalDigits is a whole in-process evaluation of the digits CNN,
// with inferd eval's defaults (batches of 32, 200 bootstrap draws), on its
// held-out set repeated 100 times (36,000 rows), to compare with `inferd
// perf examples/models/digits/1/model.onnx --batch 32` (one engine
// thread, as perf's default).
func BenchmarkEvalDigits(b *testing.B) {
	src, err := os.ReadFile(digits)
	if err != nil {
		b.Fatal(err)
	}
	header, rows, _ := strings.Cut(string(src), "\n")
	path := filepath.Join(b.TempDir(), "digits.csv")
	if err := os.WriteFile(path, []byte(header+"\n"+strings.Repeat(rows, 100)), 0o644); err != nil {
		b.Fatal(err)
	}
	l, err := target.OpenLocal(context.Background(), repo, "digits", "", "", serving.WithThreads(1))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var rep *evaluate.Report
	for b.Loop() {
		rep, err = evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: path}, Batch: 32})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rep.Rows*b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(rep.Latency.SamplesPerSecond, "model-samples/s")
}

// BenchmarkPredictDigits is the in-process path alone: one batch of 32
// held-out rows through Local.Predict (Version.Infer and the softmax).
func BenchmarkPredictDigits(b *testing.B) {
	r, err := dataset.Open(dataset.Spec{Path: digits})
	if err != nil {
		b.Fatal(err)
	}
	var rows []*dataset.Row
	for range 32 {
		row, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, row)
	}
	r.Close()
	l, err := target.OpenLocal(context.Background(), repo, "digits", "", "", serving.WithThreads(1))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := l.Predict(context.Background(), rows); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "samples/s")
	// perf reports samples per second at the median run: the same here.
	b.ReportMetric(32/took[len(took)/2].Seconds(), "median-samples/s")
}
