package native

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

func TestRecent(t *testing.T) {
	var r recent[int]
	is := func(want int) func(*int) bool { return func(v *int) bool { return *v == want } }
	if r.find(0, is(1)) != nil {
		t.Fatal("an empty recent found an entry")
	}
	vals := make([]int, recentSize+1)
	for i := range vals {
		vals[i] = i
		r.add(uint64(i+1), &vals[i])
	}
	tests := []struct {
		want  int
		tag   uint64
		found bool
	}{
		{0, 0, false}, // the oldest, dropped when the last was added
		{0, 1, false}, // its tag finds nothing either
		{1, 0, true},
		{2, 7, true}, // 7 tags 6 (the tag is a hint): 2 is found by the scan, then tagged 7
		{2, 7, true}, // found by its tag, checked first
		{recentSize, 99, true},
		{recentSize + 1, 0, false},
	}
	for _, tc := range tests {
		got := r.find(tc.tag, is(tc.want))
		if (got != nil) != tc.found || (got != nil && *got != tc.want) {
			t.Errorf("find(%d, %d) = %v, want found %v", tc.tag, tc.want, got, tc.found)
		}
	}
	if got := r.find(0, func(*int) bool { return true }); got == nil || *got != recentSize {
		t.Errorf("the first entry is %v, want the last found (%d)", got, recentSize)
	}
	// Used entries move first: adding one drops the least recently used.
	r.add(0, &vals[0])
	for _, want := range []int{1, 2, recentSize} {
		if r.find(0, is(want)) == nil {
			t.Errorf("%d, used since, was dropped", want)
		}
	}
	if r.find(0, is(3)) != nil {
		t.Error("3, the least recently used, was kept")
	}
}

// TestVaryingBatchAllocs checks that runs whose batch size changes from one
// run to the next, as a dynamic batcher's calls do, allocate no more than
// runs of one size once every size has been seen: the kernels keep an entry
// per recent shape (recent), the arena replays the buffers the last run of
// the same shapes got and keeps a tensor per shape over each. With entries
// for 8 shapes (and the arena replaying only the last run), the transformer
// encoder made 536 allocations per run cycling through 14 to 22 rows,
// against 4 at one size; with one entry each, 480 in turn of 1, 2, 1 and 3
// rows.
func TestVaryingBatchAllocs(t *testing.T) {
	models := varyingModels()[:3] // the transformers and the MLP
	cycles := map[string][]int{
		"1,2,1,3":  {1, 2, 1, 3},
		"14..22":   {14, 15, 16, 17, 18, 19, 20, 21, 22},
		"shuffled": {18, 3, 32, 17, 1, 22, 9, 18, 14, 26, 5, 20, 18, 31, 2, 16, 12, 7, 24, 19},
	}
	for _, m := range models {
		for name, sizes := range cycles {
			for _, threads := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/threads=%d", m.name, name, threads), func(t *testing.T) {
					if _, err := os.Stat(m.path); err != nil {
						t.Skipf("%s not generated: run scripts/gen-zoo.sh", m.path)
					}
					perRun := varyingAllocs(t, m.path, m.sample, sizes, threads)
					t.Logf("%.1f allocations per run", perRun)
					if perRun > maxVaryingAllocs {
						t.Errorf("%.1f allocations per run with the batch size changing every run, want at most %d", perRun, maxVaryingAllocs)
					}
				})
			}
		}
	}
}

// maxVaryingAllocs is maxRunAllocs (allocs_test.go): runs of recurring
// shapes allocate as few objects as runs of one.
const maxVaryingAllocs = 10

// varyingAllocs returns the allocations per run of a session on batches
// of the sizes in turn, each of sample's shape, after a few rounds.
func varyingAllocs(t *testing.T, path string, sample, sizes []int, threads int) float64 {
	s, err := engine.LoadPath(context.Background(), Engine{}, path, engine.Options{IntraOpThreads: threads})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	name := s.Inputs()[0].Name
	var ins []map[string]*tensor.Tensor
	for _, rows := range sizes {
		shape := append([]int{rows}, sample...)
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
	return testing.AllocsPerRun(10, round) / float64(len(ins))
}

// BenchmarkVaryingBatch runs the transformer encoder on one thread with
// batch sizes in turn as a dynamic batcher's calls come (a 2-row call among
// singles, 1 and 2 alternating, 2 to 7 rows, 14 to 22 rows as at 64
// connections) against one size, and reports the time per row and the
// allocations per run: what a change of shape from one call to the next
// costs.
func BenchmarkVaryingBatch(b *testing.B) {
	path := filepath.Join("..", "..", "examples", "zoo", "transformer_encoder", "model.onnx")
	s, err := engine.LoadPath(context.Background(), Engine{}, path, engine.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ins := map[int]map[string]*tensor.Tensor{}
	for r := 1; r <= 22; r++ {
		ins[r] = map[string]*tensor.Tensor{s.Inputs()[0].Name: tensor.New(tensor.Int64, r, 12)}
	}
	for _, sizes := range [][]int{{1}, {4}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, {1, 2}, {3, 5, 4, 6, 2, 7, 4, 5}, {18}, {14, 15, 16, 17, 18, 19, 20, 21, 22}, {18, 14, 21, 16, 22, 15, 19, 17, 20}} {
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
