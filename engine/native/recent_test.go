package native

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

func TestRecent(t *testing.T) {
	var r recent[int]
	is := func(want int) func(*int) bool { return func(v *int) bool { return *v == want } }
	if r.find(is(1)) != nil {
		t.Fatal("an empty recent found an entry")
	}
	vals := make([]int, recentSize+1)
	for i := range vals {
		vals[i] = i
		r.add(&vals[i])
	}
	tests := []struct {
		want  int
		found bool
	}{
		{0, false}, // the oldest, dropped when the last was added
		{1, true},
		{recentSize, true},
		{recentSize + 1, false},
	}
	for _, tc := range tests {
		got := r.find(is(tc.want))
		if (got != nil) != tc.found || (got != nil && *got != tc.want) {
			t.Errorf("find(%d) = %v, want found %v", tc.want, got, tc.found)
		}
	}
	if got := r.find(func(*int) bool { return true }); got == nil || *got != recentSize {
		t.Errorf("the first entry is %v, want the last added (%d)", got, recentSize)
	}
}

// TestVaryingBatchAllocs checks that runs whose batch size changes from one
// run to the next, as a dynamic batcher's calls do, do not rebuild the
// kernels' geometries and the memoized shape arithmetic every time: they
// keep an entry per recent shape. With one entry each (recentSize 1), the
// transformer encoder made 480 allocations per run in turn of 1, 2, 1 and
// 3 rows; with 8, 42 (the rest is the arena's buffers and views, whose
// best fit changes with the sizes), against 4 at one size. (The digits
// CNN's convolutions keep their own plans: 57 either way.)
func TestVaryingBatchAllocs(t *testing.T) {
	models := []struct {
		name   string
		path   []string
		sample []int
		max    float64
	}{
		{"transformer_encoder", []string{"examples", "zoo", "transformer_encoder", "model.onnx"}, []int{12}, 80},
	}
	for _, m := range models {
		t.Run(m.name, func(t *testing.T) {
			path := filepath.Join(append([]string{"..", ".."}, m.path...)...)
			s, err := engine.LoadPath(context.Background(), Engine{}, path, engine.Options{IntraOpThreads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			name := s.Inputs()[0].Name
			var ins []map[string]*tensor.Tensor
			for _, rows := range []int{1, 2, 1, 3} {
				shape := append([]int{rows}, m.sample...)
				ins = append(ins, map[string]*tensor.Tensor{name: tensor.New(s.Inputs()[0].DType, shape...)})
			}
			round := func() {
				for _, in := range ins {
					if _, err := s.Run(context.Background(), in); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 3 { // plan the shapes, fill the arena
				round()
			}
			perRun := testing.AllocsPerRun(20, round) / float64(len(ins))
			t.Logf("%.1f allocations per run", perRun)
			if perRun > m.max {
				t.Errorf("%.1f allocations per run with the batch size changing every run, want at most %.0f", perRun, m.max)
			}
		})
	}
}

// BenchmarkVaryingBatch runs the transformer encoder on one thread with
// batch sizes in turn as a dynamic batcher's calls come (a 2-row call among
// singles, 1 and 2 alternating, 2 to 7 rows) against one size, and reports
// the time per row: what a change of shape from one call to the next costs.
func BenchmarkVaryingBatch(b *testing.B) {
	path := filepath.Join("..", "..", "examples", "zoo", "transformer_encoder", "model.onnx")
	s, err := engine.LoadPath(context.Background(), Engine{}, path, engine.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ins := map[int]map[string]*tensor.Tensor{}
	for r := 1; r <= 8; r++ {
		ins[r] = map[string]*tensor.Tensor{s.Inputs()[0].Name: tensor.New(tensor.Int64, r, 12)}
	}
	for _, sizes := range [][]int{{1}, {4}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, {1, 2}, {3, 5, 4, 6, 2, 7, 4, 5}} {
		b.Run(fmt.Sprint(sizes), func(b *testing.B) {
			b.ReportAllocs()
			rows, i := 0, 0
			for b.Loop() {
				r := sizes[i%len(sizes)]
				i++
				rows += r
				if _, err := s.Run(context.Background(), ins[r]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
		})
	}
}
