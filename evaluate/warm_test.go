package evaluate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/tensor"
)

// warmTarget records the batch sizes it is warmed at.
type warmTarget struct {
	model  *Model
	warmed []int
}

func (w *warmTarget) Model() *Model { return w.model }
func (w *warmTarget) Predict(_ context.Context, rows []*dataset.Row) ([]float64, error) {
	return make([]float64, len(rows)*len(w.model.Classes)), nil
}
func (w *warmTarget) Close() error { return nil }
func (w *warmTarget) Warm(_ context.Context, rows int) error {
	w.warmed = append(w.warmed, rows)
	return nil
}

// warmUp warms the batch size, and the last batch's size too (then the
// batch size again, so that the first batch runs the shape the target ran
// last) when the side goroutine has read to the dataset's end and that
// batch is not full; not when the reading has not got there, or the last
// batch is full.
func TestWarmUpWarmsTheLastBatch(t *testing.T) {
	for _, tc := range []struct {
		rows, batch int
		readAll     bool
		want        []int
	}{
		{rows: 360, batch: 32, readAll: true, want: []int{32, 8, 32}},
		{rows: 360, batch: 32, readAll: false, want: []int{32}},
		{rows: 320, batch: 32, readAll: true, want: []int{32}},
		{rows: 5, batch: 32, readAll: true, want: []int{32, 5, 32}},
		{rows: 7, batch: 1, readAll: true, want: []int{1}},
		{rows: 1500, batch: 2000, readAll: true, want: []int{maxWarmRows}}, // past maxWarmRows: cold
		{rows: 700, batch: 2000, readAll: true, want: []int{maxWarmRows, 700, maxWarmRows}},
	} {
		t.Run(fmt.Sprintf("%d rows batch %d read %v", tc.rows, tc.batch, tc.readAll), func(t *testing.T) {
			tg := &warmTarget{model: &Model{Classes: []string{"0", "1"}}}
			o := &Options{Data: dataset.Spec{Path: writeRows(t, tc.rows)}, Batch: tc.batch}
			r, err := dataset.Open(o.Data)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			s := newSide(r, tg, newCollected(tg.model, o.Data), o)
			if tc.readAll {
				s.fill(context.Background()) // as the side goroutine does during the warm-up
			}
			if err := warmUp(context.Background(), tg, s, tc.batch); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tg.warmed, tc.want) {
				t.Fatalf("warmed at %v, want %v", tg.warmed, tc.want)
			}
		})
	}
}

// writeRows writes a CSV of n labelled rows of one feature.
func writeRows(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("x,label\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%d\n", i, i%2)
	}
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tensorTarget answers scores (1-x, x) for a one-feature row x, and
// counts the runs on a batch's storage used before (reused), and those of
// them whose output had not come back (Recycle) by the next run (late).
// Outputs come back from both of Run's goroutines: mu guards out.
type tensorTarget struct {
	warmTarget
	mu           sync.Mutex
	out          map[*tensor.Tensor]bool
	seen         map[*float32]bool
	last         *tensor.Tensor
	lastReused   bool
	reused, late int
}

func (tt *tensorTarget) RunTensor(_ context.Context, features *tensor.Tensor) (*tensor.Tensor, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.lastReused && tt.out[tt.last] {
		tt.late++
	}
	x := tensor.Data[float32](features)
	tt.lastReused = tt.seen[&x[0]]
	tt.seen[&x[0]] = true
	if tt.lastReused {
		tt.reused++
	}
	out := tensor.New(tensor.Float32, len(x), 2)
	for i, v := range x {
		tensor.Data[float32](out)[2*i], tensor.Data[float32](out)[2*i+1] = 1-v, v
	}
	tt.out[out], tt.last = true, out
	return out, nil
}

func (tt *tensorTarget) Scores(dst []float64, out *tensor.Tensor, rows int) ([]float64, error) {
	for _, v := range tensor.Data[float32](out)[:2*rows] {
		dst = append(dst, float64(v))
	}
	return dst, nil
}

func (tt *tensorTarget) Recycle(out *tensor.Tensor) {
	tt.mu.Lock()
	delete(tt.out, out)
	tt.mu.Unlock()
}

// Once the batches are reused, the target's goroutine copies each output
// into its batch's storage and hands it back before the next run
// (answer); every output comes back in the end, and the copies, reused
// from batch to batch, hold each batch's own scores when recorded: every
// row is scored right.
func TestRunHandsOutputsBackAtOnce(t *testing.T) {
	const rows = 20000
	var b strings.Builder
	b.WriteString("x,label\n")
	for i := range rows {
		fmt.Fprintf(&b, "%d,%d\n", i/7%2, i/7%2) // the batches differ
	}
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Model{Classes: []string{"0", "1"}, Input: "x", Shape: []int{1}, DType: tensor.Float32}
	tt := &tensorTarget{warmTarget: warmTarget{model: m}, out: map[*tensor.Tensor]bool{}, seen: map[*float32]bool{}}
	rep, err := Run(context.Background(), tt, Options{Data: dataset.Spec{Path: path}, Batch: 32, Bootstrap: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != rows || rep.Metrics["accuracy"] != 1 {
		t.Fatalf("%d rows, accuracy %v; want %d rows, all right", rep.Rows, rep.Metrics["accuracy"], rows)
	}
	if tt.reused < rows/32/2 || tt.late != 0 || len(tt.out) != 0 {
		t.Fatalf("%d runs on reused batches, %d of them handed back late, %d outputs never: want most of %d, none, none", tt.reused, tt.late, len(tt.out), rows/32)
	}
}
