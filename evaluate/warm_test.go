package evaluate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/evaluate/dataset"
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
