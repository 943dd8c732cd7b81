package native

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// splitModels are the real models of the split tests, with whether the
// analysis must find them batch-separable. Zoo models are skipped when
// scripts/gen-zoo.sh has not generated them.
var splitModels = []struct {
	name, path string
	sample     []int
	separable  bool
}{
	{"digits", "examples/models/digits/1/model.onnx", []int{1, 8, 8}, true},
	{"digits-mlp", "examples/models/digits-mlp/1/model.onnx", []int{1, 8, 8}, true},
	{"resnet18", ".cache/zoo/resnet18/model.onnx", []int{3, 224, 224}, true},
	{"mobilenet_v2", ".cache/zoo/mobilenet_v2/model.onnx", []int{3, 224, 224}, true},
	{"db_detector", ".cache/zoo/db_detector/model.onnx", []int{3, 128, 128}, true},
	// PyTorch encoders: the batch moves to axis 1 and into the heads
	// ([seq, batch·heads, d]), its size flowing through Shape → Gather →
	// Concat into Reshape targets.
	{"transformer_gelu", ".cache/zoo/transformer_gelu/model.onnx", []int{32}, true},
	{"transformer_encoder", "examples/zoo/transformer_encoder/model.onnx", []int{12}, true},
	// A seq-first LSTM (the batch on axis 1) whose zero states are
	// ConstantOfShape of a shape holding the batch size.
	{"crnn", ".cache/zoo/crnn/model.onnx", []int{1, 32, 128}, true},
	// NonMaxSuppression selects over the whole batch; the sample rate is a
	// scalar input, without rows.
	{"yolo_detector", ".cache/zoo/yolo_detector/model.onnx", []int{3, 128, 128}, false},
	{"vad_lstm", ".cache/zoo/vad_lstm/model.onnx", []int{512}, false},
}

// loadSplitModel loads a model of splitModels, skipping absent zoo ones.
func loadSplitModel(t testing.TB, path string, threads int) *session {
	t.Helper()
	path = filepath.Join("..", "..", path)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not generated: run scripts/gen-zoo.sh", path)
	}
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: threads})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*session)
}

// modelBatch returns a random batch for s's first input: floats, or token
// ids below 100 for an int64 input.
func modelBatch(s *session, batch int, sample []int) *tensor.Tensor {
	x := randomBatch(batch, sample)
	if s.plan.graphInputs[0].Type.DType != tensor.Int64 {
		return x
	}
	f := x.Data().([]float32)
	ids := make([]int64, len(f))
	for i, v := range f {
		ids[i] = int64(v * 100)
	}
	return tensor.MustFromSlice(ids, x.Shape()...)
}

// randomBatch returns a batch of random floats of the given sample shape.
func randomBatch(batch int, sample []int) *tensor.Tensor {
	shape := append([]int{batch}, sample...)
	data := make([]float32, tensor.NumElements(shape))
	r := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = r.Float32()
	}
	return tensor.MustFromSlice(data, shape...)
}

func TestSplitAnalysisRealModels(t *testing.T) {
	for _, m := range splitModels {
		t.Run(m.name, func(t *testing.T) {
			s := loadSplitModel(t, m.path, 1)
			if s.plan.separable != m.separable {
				t.Fatalf("separable = %v (stopped at %q), want %v", s.plan.separable, s.plan.splitStop, m.separable)
			}
			t.Logf("separable %v, stopped at %q", s.plan.separable, s.plan.splitStop)
		})
	}
}

// TestSplitRunsMatchWhole runs each separable real model whole and split
// (in sub-batches of 3, 3 and 1 rows on one thread, in halves on two) and
// requires the same outputs.
func TestSplitRunsMatchWhole(t *testing.T) {
	defer func(n int64) { splitMinRows = n }(splitMinRows)
	splitMinRows = 1
	for _, m := range splitModels {
		if !m.separable {
			continue
		}
		for _, threads := range []int{1, 2} {
			t.Run(m.name+"/threads="+string(rune('0'+threads)), func(t *testing.T) {
				s := loadSplitModel(t, m.path, threads)
				batch := 7
				if m.sample[len(m.sample)-1] >= 128 {
					batch = 3 // keep the large models fast
				}
				in := map[string]*tensor.Tensor{s.plan.graphInputs[0].Name: modelBatch(s, batch, m.sample)}
				split := s.split
				s.split = nil
				want := mustRun(t, s, in)
				s.split = split
				// One row's working set is half the budget: sub-batches of
				// 2 rows or 1.
				s.split.sampleBytes.Store(splitCacheBytes / 2)
				for range 2 { // the second run reuses the arenas
					got := mustRun(t, s, in)
					for name, w := range want {
						if !sameTensor(got[name], w) {
							t.Fatalf("output %s: split run %v differs from whole run %v", name, got[name], w)
						}
					}
				}
				if s.split.jobs.take() == nil {
					t.Fatal("the batch did not run split")
				}
			})
		}
	}
}

// TestSplitPartsClaimUnits runs a batch split for two threads when no
// helper can join (every core counted busy), so the caller runs both parts
// by itself: every one of the 4 units must be claimed, and the outputs
// must be those of the whole batch.
func TestSplitPartsClaimUnits(t *testing.T) {
	defer func(n int64) { splitMinRows = n }(splitMinRows)
	splitMinRows = 1
	s := loadSplitModel(t, splitModels[0].path, 2)
	in := map[string]*tensor.Tensor{s.plan.graphInputs[0].Name: randomBatch(7, splitModels[0].sample)}
	split := s.split
	s.split = nil
	want := mustRun(t, s, in)
	s.split = split
	s.split.sampleBytes.Store(splitCacheBytes / 2) // units of 2 rows or 1
	startHelpers()
	procs := int64(runtime.GOMAXPROCS(0))
	busy.Add(procs)
	got := func() map[string]*tensor.Tensor {
		defer busy.Add(-procs) // also when mustRun fails the test
		return mustRun(t, s, in)
	}()
	for name, w := range want {
		if !sameTensor(got[name], w) {
			t.Fatalf("output %s: split run %v differs from whole run %v", name, got[name], w)
		}
	}
	j := s.split.jobs.take()
	if j == nil {
		t.Fatal("the batch did not run split")
	}
	if j.units != 4 || claimEnd(&j.ends, false) >= 0 {
		t.Fatalf("units %d, left unclaimed: %x; want 4 units, all claimed", j.units, j.ends.Load())
	}
}

// sameTensor reports whether a and b have the same type, shape and bits.
func sameTensor(a, b *tensor.Tensor) bool {
	if a == nil || b == nil || a.DType() != b.DType() || !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	switch d := a.Data().(type) {
	case []float32:
		return slices.Equal(d, b.Data().([]float32))
	case []int64:
		return slices.Equal(d, b.Data().([]int64))
	}
	return false
}

// BenchmarkSplit runs the separable real models at batch 32 whole
// (sub=0) and in sub-batches of fixed sizes, on one and two threads:
// what splitCacheBytes is tuned with. rows=1 runs the batch's 32 rows as
// 32 runs of batch 1, the baseline a sub-run of one row should match.
func BenchmarkSplit(b *testing.B) {
	for _, m := range splitModels {
		if !m.separable {
			continue
		}
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d/rows=1", m.name, threads), func(b *testing.B) {
				benchRows(b, m.path, m.sample, threads)
			})
			for _, sub := range []int{0, 16, 8, 4, 2, 1} {
				b.Run(fmt.Sprintf("%s/threads=%d/sub=%d", m.name, threads, sub), func(b *testing.B) {
					benchSplit(b, m.path, m.sample, threads, sub)
				})
			}
		}
	}
}

// benchRows measures the rows of BenchmarkSplit's batch run one at a
// time, reporting the same metrics per 32 rows.
func benchRows(b *testing.B, path string, sample []int, threads int) {
	s := loadSplitModel(b, path, threads)
	batch := modelBatch(s, 32, sample)
	n := batch.Len() / 32
	ins := make([]map[string]*tensor.Tensor, 32)
	for i := range ins {
		row := tensor.New(batch.DType(), append([]int{1}, sample...)...)
		copyElems(row, 0, batch, i*n)
		ins[i] = map[string]*tensor.Tensor{s.plan.graphInputs[0].Name: row}
	}
	mustRun(b, s, ins[0])
	b.ReportAllocs()
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		for _, in := range ins {
			mustRun(b, s, in)
		}
	}
	b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// benchSplit measures one configuration of BenchmarkSplit.
func benchSplit(b *testing.B, path string, sample []int, threads, sub int) {
	s := loadSplitModel(b, path, threads)
	in := map[string]*tensor.Tensor{s.plan.graphInputs[0].Name: modelBatch(s, 32, sample)}
	defer func(n int64) { splitMinRows = n }(splitMinRows)
	splitMinRows = 1
	if sub == 0 {
		s.split = nil
	} else {
		s.split.sampleBytes.Store(splitCacheBytes / int64(sub))
	}
	mustRun(b, s, in)
	b.ReportAllocs()
	cpu := testutil.ProcessCPU()
	for b.Loop() {
		mustRun(b, s, in)
	}
	// CPU time measures the cost on a loaded machine, where wall time
	// measures the load.
	b.ReportMetric(float64(testutil.ProcessCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// TestSplitRules checks the analysis on one-node graphs over x [N, 3, 4]
// (y [N, 1, 4, 4] for the pools): what keeps rows independent is
// separable, wherever the output holds them, and runs split with the
// whole run's outputs; what mixes them, or is not known to keep them
// apart, is not.
func TestSplitRules(t *testing.T) {
	c := func(shape []int) *tensor.Tensor { return tensor.New(tensor.Float32, shape...) }
	ints := func(v ...int64) *tensor.Tensor { return i64([]int{len(v)}, v...) }
	lstmW := map[string]*tensor.Tensor{"lw": randomBatch(1, []int{8, 4}), "lr": randomBatch(1, []int{8, 2})}
	tests := []struct {
		name      string
		n         *onnx.Node
		inits     map[string]*tensor.Tensor
		separable bool
	}{
		{"softmax last axis", node("Softmax", []string{"x"}, []string{"z"}), nil, true},
		{"softmax axis 0", node("Softmax", []string{"x"}, []string{"z"}, aInt("axis", 0)), nil, false},
		{"transpose keeping axis 0", node("Transpose", []string{"x"}, []string{"z"}, aInts("perm", 0, 2, 1)), nil, true},
		{"transpose moving axis 0", node("Transpose", []string{"x"}, []string{"z"}, aInts("perm", 1, 0, 2)), nil, true},
		{"reshape copying axis 0", node("Reshape", []string{"x", "s"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(0, -1)}, true},
		{"reshape to rows of a sample", node("Reshape", []string{"x", "s"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(-1, 12)}, true},
		{"reshape splitting rows", node("Reshape", []string{"x", "s"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(-1, 6)}, true},
		{"reshape across rows", node("Reshape", []string{"x", "s"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(3, -1)}, false},
		{"reshape to one axis", node("Reshape", []string{"x", "s"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(-1)}, true},
		{"add broadcasting within rows", node("Add", []string{"x", "b"}, []string{"z"}), map[string]*tensor.Tensor{"b": c([]int{3, 4})}, true},
		{"add with a row of ones", node("Add", []string{"x", "b"}, []string{"z"}), map[string]*tensor.Tensor{"b": c([]int{1, 3, 4})}, true},
		{"add of a constant batch", node("Add", []string{"x", "b"}, []string{"z"}), map[string]*tensor.Tensor{"b": c([]int{2, 3, 4})}, false},
		{"reduce within rows", node("ReduceMean", []string{"x", "a"}, []string{"z"}), map[string]*tensor.Tensor{"a": ints(2)}, true},
		{"reduce over the batch", node("ReduceMean", []string{"x", "a"}, []string{"z"}), map[string]*tensor.Tensor{"a": ints(0)}, false},
		{"reduce over everything", node("ReduceMean", []string{"x"}, []string{"z"}), nil, false},
		{"shape", node("Shape", []string{"x"}, []string{"z"}), nil, false},
		{"concat on axis 1", node("Concat", []string{"x", "x2"}, []string{"z"}, aInt("axis", 1)), nil, true},
		{"concat on axis 0", node("Concat", []string{"x", "x2"}, []string{"z"}, aInt("axis", 0)), nil, false},
		{"concat with a constant", node("Concat", []string{"x", "b"}, []string{"z"}, aInt("axis", 1)), map[string]*tensor.Tensor{"b": c([]int{1, 3, 4})}, false},
		{"flatten at 1", node("Flatten", []string{"x"}, []string{"z"}), nil, true},
		{"flatten at 2", node("Flatten", []string{"x"}, []string{"z"}, aInt("axis", 2)), nil, true},
		{"flatten at 0", node("Flatten", []string{"x"}, []string{"z"}, aInt("axis", 0)), nil, true},
		{"gemm", node("Gemm", []string{"f", "w"}, []string{"z"}), map[string]*tensor.Tensor{"w": c([]int{4, 5})}, true},
		{"gemm of transposed rows", node("Gemm", []string{"f", "w"}, []string{"z"}, aInt("transA", 1)), map[string]*tensor.Tensor{"w": c([]int{4, 5})}, false},
		{"slice keeping the batch", node("Slice", []string{"x", "s", "e", "a"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(0, 1), "e": ints(math.MaxInt64, 3), "a": ints(0, 1)}, true},
		{"slice of the batch", node("Slice", []string{"x", "s", "e", "a"}, []string{"z"}), map[string]*tensor.Tensor{"s": ints(0), "e": ints(1), "a": ints(0)}, false},
		{"lstm, batch-major", node("LSTM", []string{"x", "lw", "lr"}, []string{"z"}, aInt("hidden_size", 2), aInt("layout", 1)), lstmW, true},
		{"lstm over the batch", node("LSTM", []string{"x", "lw", "lr"}, []string{"z"}, aInt("hidden_size", 2)), lstmW, false},
		{"max pool", node("MaxPool", []string{"y"}, []string{"z"}, aInts("kernel_shape", 2, 2)), nil, true},
		{"max pool with indices", node("MaxPool", []string{"y"}, []string{"z", "i"}, aInts("kernel_shape", 2, 2)), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := randomBatch(5, []int{3, 4})
			feed := map[string]*tensor.Tensor{"x": x, "x2": x, "f": randomBatch(5, []int{4}), "y": randomBatch(5, []int{1, 4, 4})}
			for k := range feed {
				if !slices.Contains(tc.n.Inputs, k) {
					delete(feed, k)
				}
			}
			m := opModel(17, tc.n, feed, tc.inits)
			for i, in := range m.Graph.Inputs {
				// Every axis but the batch of a known size.
				dims := append([]int{-1}, feed[in.Name].Shape()[1:]...)
				m.Graph.Inputs[i] = input(in.Name, tensor.Float32, dims...)
			}
			checkSplit(t, m, feed, tc.separable)
		})
	}
}

// TestSplitFixedBatch: a graph input whose axis 0 has a fixed size is not
// a batch.
func TestSplitFixedBatch(t *testing.T) {
	m := model(17, []*onnx.Node{node("Relu", []string{"x"}, []string{"z"})}, []onnx.ValueInfo{input("x", tensor.Float32, 2, 3)}, []string{"z"}, nil)
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s.(*session).plan.separable {
		t.Fatal("a fixed axis 0 counted as the batch")
	}
}

// TestSubBatch checks the rows per sub-run: as many as fit the cache, else
// one, or up to splitMinRows when the weights are several rows' worth.
func TestSubBatch(t *testing.T) {
	mb := int64(1 << 20)
	tests := []struct {
		name          string
		weights, per  int64
		parts, wanted int
	}{
		{"not learned yet", 1 * mb, 0, 32, 32},
		{"small rows fill the cache", 1 * mb, mb / 8, 32, 8},
		{"the whole part fits", 1 * mb, mb / 64, 16, 16},
		{"rows overflowing, light weights", 14 * mb, 13 * mb, 32, 1},
		{"rows overflowing, weights of two rows", 14 * mb, 7 * mb, 32, 2},
		{"rows overflowing, heavy weights", 45 * mb, 6 * mb, 32, int(splitMinRows)},
		{"heavy weights, short part", 45 * mb, 6 * mb, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp := &splitter{weightBytes: tt.weights}
			sp.sampleBytes.Store(tt.per)
			if got := sp.subBatch(tt.parts); got != tt.wanted {
				t.Errorf("subBatch(%d) = %d, want %d", tt.parts, got, tt.wanted)
			}
		})
	}
}

// seqFirstNodes is a PyTorch-style attention over x [N, 3, 4] in the
// seq-first layout: the batch moves to axis 1, then into the heads
// ([3, 2N, 2], [2N, 3, 2]) and into the rows of a projection ([3N, 4]),
// the sizes of its Reshapes computed from Shape, before it comes back to
// axis 0 as z [N, 3, 5].
func seqFirstNodes() []*onnx.Node {
	n := func(op string, in []string, out string, attrs ...*onnx.Attribute) *onnx.Node {
		return node(op, in, []string{out}, attrs...)
	}
	return []*onnx.Node{
		n("Transpose", []string{"x"}, "t0", aInts("perm", 1, 0, 2)),
		n("Shape", []string{"t0"}, "sh"),
		n("Gather", []string{"sh", "i0"}, "s"),
		n("Gather", []string{"sh", "i1"}, "b"),
		n("Mul", []string{"b", "two"}, "bh"),
		n("Unsqueeze", []string{"s", "ax0"}, "us"),
		n("Unsqueeze", []string{"bh", "ax0"}, "ubh"),
		n("Concat", []string{"us", "ubh", "c2"}, "heads", aInt("axis", 0)),
		n("Reshape", []string{"t0", "heads"}, "h"),
		n("Transpose", []string{"h"}, "ht", aInts("perm", 1, 0, 2)),
		n("Softmax", []string{"ht"}, "sm", aInt("axis", -1)),
		n("Transpose", []string{"sm"}, "smt", aInts("perm", 0, 2, 1)),
		n("MatMul", []string{"sm", "smt"}, "mm"),
		n("MatMul", []string{"mm", "sm"}, "mt"),
		n("Transpose", []string{"mt"}, "bt", aInts("perm", 1, 0, 2)),
		n("Mul", []string{"s", "b"}, "sb"),
		n("Unsqueeze", []string{"sb", "ax0"}, "usb"),
		n("Concat", []string{"usb", "c4"}, "rows", aInt("axis", 0)),
		n("Reshape", []string{"bt", "rows"}, "flat"),
		n("Gemm", []string{"flat", "w"}, "g"),
		n("Unsqueeze", []string{"b", "ax0"}, "ub"),
		n("Concat", []string{"us", "ub", "c5"}, "back", aInt("axis", 0)),
		n("Reshape", []string{"g", "back"}, "r"),
		n("Transpose", []string{"r"}, "z", aInts("perm", 1, 0, 2)),
	}
}

// TestSplitBatchAxes checks the analysis of a batch that leaves axis 0:
// the seq-first attention is separable and runs split with the whole
// run's outputs; what mixes its rows is not.
func TestSplitBatchAxes(t *testing.T) {
	ints := func(v ...int64) *tensor.Tensor { return i64([]int{len(v)}, v...) }
	tests := []struct {
		name      string
		extra     []*onnx.Node
		out       string
		separable bool
	}{
		{"seq-first attention", nil, "z", true},
		{"batch left on axis 1", nil, "t0", true},
		{"batch among the heads", nil, "ht", true},
		{"reshape across rows", []*onnx.Node{
			node("Concat", []string{"ub", "c12"}, []string{"tgt"}, aInt("axis", 0)),
			node("Reshape", []string{"t0", "tgt"}, []string{"y"}),
		}, "y", false},
		{"softmax over the batch axis", []*onnx.Node{
			node("Softmax", []string{"t0"}, []string{"st"}, aInt("axis", 1)),
			node("Transpose", []string{"st"}, []string{"y"}, aInts("perm", 1, 0, 2)),
		}, "y", false},
		{"batch size as data", []*onnx.Node{
			node("Cast", []string{"b"}, []string{"bf"}, aInt("to", int64(tensor.Float32))),
			node("Add", []string{"x", "bf"}, []string{"y"}),
		}, "y", false},
		{"sequence length as a slice bound", []*onnx.Node{
			node("Slice", []string{"pos", "c0", "us", "ax0"}, []string{"p"}),
			node("Add", []string{"x", "p"}, []string{"y"}),
		}, "y", true},
		{"zeros of the seq-first shape", []*onnx.Node{
			node("ConstantOfShape", []string{"sh"}, []string{"cz"}),
			node("Transpose", []string{"cz"}, []string{"czt"}, aInts("perm", 1, 0, 2)),
			node("Add", []string{"x", "czt"}, []string{"y"}),
		}, "y", true},
		{"a row expanded to the batch", []*onnx.Node{
			node("Concat", []string{"ub", "c3", "c4"}, []string{"tgt"}, aInt("axis", 0)),
			node("Expand", []string{"row", "tgt"}, []string{"e"}),
			node("Add", []string{"x", "e"}, []string{"y"}),
		}, "y", true},
		{"the batch expanded to its own shape", []*onnx.Node{
			node("Concat", []string{"ub", "c3", "c4"}, []string{"tgt"}, aInt("axis", 0)),
			node("Expand", []string{"x", "tgt"}, []string{"y"}),
		}, "y", true},
		{"unknown sizes reshaped by their shape", []*onnx.Node{
			node("Conv", []string{"x", "cw"}, []string{"cv"}),
			node("Shape", []string{"cv"}, []string{"csh"}),
			node("Slice", []string{"csh", "c0", "c2", "ax0"}, []string{"lead"}),
			node("Concat", []string{"lead", "rest"}, []string{"tgt"}, aInt("axis", 0)),
			node("Reshape", []string{"cv", "tgt"}, []string{"y"}),
		}, "y", true},
		{"unknown sizes reshaped across rows", []*onnx.Node{
			node("Conv", []string{"x", "cw"}, []string{"cv"}),
			node("Shape", []string{"cv"}, []string{"csh"}),
			node("Gather", []string{"csh", "i1"}, []string{"ch"}),
			node("Unsqueeze", []string{"ch", "ax0"}, []string{"uch"}),
			node("Concat", []string{"uch", "rest"}, []string{"tgt"}, aInt("axis", 0)),
			node("Reshape", []string{"cv", "tgt"}, []string{"y"}),
		}, "y", false},
		{"the batch size squared", []*onnx.Node{
			node("Mul", []string{"b", "b"}, []string{"bb"}),
			node("Unsqueeze", []string{"bb", "ax0"}, []string{"ubb"}),
			node("ConstantOfShape", []string{"ubb"}, []string{"y"}),
		}, "y", false},
	}
	inits := map[string]*tensor.Tensor{
		"i0": i64(nil, 0), "i1": i64(nil, 1), "two": i64(nil, 2), "ax0": ints(0), "c0": ints(0),
		"c2": ints(2), "c3": ints(3), "c4": ints(4), "c5": ints(5), "c12": ints(12),
		"w": randomBatch(4, []int{5}), "pos": randomBatch(6, []int{4}),
		"row": randomBatch(1, []int{3, 4}), "cw": randomBatch(2, []int{3, 1}), "rest": ints(-1),
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nodes := append(seqFirstNodes(), tc.extra...)
			m := model(17, nodes, []onnx.ValueInfo{input("x", tensor.Float32, -1, 3, 4)}, []string{tc.out}, inits)
			checkSplit(t, m, map[string]*tensor.Tensor{"x": randomBatch(5, []int{3, 4})}, tc.separable)
		})
	}
}

// checkSplit loads m on two threads, requires its analysis to find it
// separable or not, and a separable one to run feed split with the whole
// run's outputs.
func checkSplit(t *testing.T, m *onnx.Model, feed map[string]*tensor.Tensor, separable bool) {
	t.Helper()
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	ss := s.(*session)
	if ss.plan.separable != separable {
		t.Fatalf("separable = %v, want %v", ss.plan.separable, separable)
	}
	if separable {
		checkSplitRun(t, ss, feed, true)
	}
}

// TestSplitLate checks the run-time analysis of graphs with a variable
// sequence length: not separable at the declared shapes, they run split
// for each input shape that is, with the whole run's outputs, and whole
// for one that is not.
func TestSplitLate(t *testing.T) {
	inits := map[string]*tensor.Tensor{
		"i0": i64(nil, 0), "i1": i64(nil, 1), "two": i64(nil, 2), "ax0": i64([]int{1}, 0),
		"c2": i64([]int{1}, 2), "c4": i64([]int{1}, 4), "c5": i64([]int{1}, 5), "rest": i64([]int{1}, -1),
		"w": randomBatch(4, []int{5}),
	}
	across := []*onnx.Node{
		node("Concat", []string{"ub", "rest"}, []string{"tgt"}, aInt("axis", 0)),
		node("Reshape", []string{"t0", "tgt"}, []string{"y"}),
	}
	tests := []struct {
		name  string
		nodes []*onnx.Node
		out   string
		split bool
	}{
		{"seq-first attention", seqFirstNodes(), "z", true},
		{"reshape across rows", append(seqFirstNodes(), across...), "y", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ss := lateSession(t, model(17, tc.nodes, []onnx.ValueInfo{input("x", tensor.Float32, -1, -1, 4)}, []string{tc.out}, inits))
			for _, seq := range []int{3, 6, 3} {
				checkSplitRun(t, ss, map[string]*tensor.Tensor{"x": randomBatch(5, []int{seq, 4})}, tc.split)
			}
		})
	}
	t.Run("unknown sizes copied with the batch", func(t *testing.T) {
		// Separable at load: the target keeps axis 0 and reshapes within
		// rows whatever their sizes.
		n := node("Reshape", []string{"x", "keep"}, []string{"y"})
		m := model(17, []*onnx.Node{n}, []onnx.ValueInfo{input("x", tensor.Float32, -1, -1, 4)}, []string{"y"},
			map[string]*tensor.Tensor{"keep": i64([]int{2}, 0, -1)})
		checkSplit(t, m, map[string]*tensor.Tensor{"x": randomBatch(5, []int{3, 4})}, true)
	})
	t.Run("transformer_gelu", func(t *testing.T) {
		path := filepath.Join("..", "..", ".cache/zoo/transformer_gelu/model.onnx")
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s not generated: run scripts/gen-zoo.sh", path)
		}
		m, err := onnx.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		m.Graph.Inputs[0].Type.Shape[1] = onnx.Dim{Value: -1, Param: "seq"}
		ss := lateSession(t, m)
		for _, seq := range []int{32, 16} {
			checkSplitRun(t, ss, map[string]*tensor.Tensor{"input": modelBatch(ss, 7, []int{seq})}, true)
		}
	})
}

// TestSplitLateVerdictsKept: a late plan keeps its verdict for each of
// many sequence lengths (more than any small recent list), so a shape
// seen before costs a map lookup and no allocation, and verdicts stay
// right when lengths cycle.
func TestSplitLateVerdictsKept(t *testing.T) {
	inits := map[string]*tensor.Tensor{
		"i0": i64(nil, 0), "i1": i64(nil, 1), "two": i64(nil, 2), "ax0": i64([]int{1}, 0),
		"c2": i64([]int{1}, 2), "c4": i64([]int{1}, 4), "c5": i64([]int{1}, 5), "rest": i64([]int{1}, -1),
		"w": randomBatch(4, []int{5}),
	}
	ss := lateSession(t, model(17, seqFirstNodes(), []onnx.ValueInfo{input("x", tensor.Float32, -1, -1, 4)}, []string{"z"}, inits))
	late := ss.plan.late
	feeds := make([]map[string]*tensor.Tensor, 20)
	for i := range feeds {
		feeds[i] = map[string]*tensor.Tensor{"x": randomBatch(3, []int{i + 1, 4})}
	}
	for range 2 {
		for _, f := range feeds {
			if _, ok := late.separableFor(ss.plan, f); !ok {
				t.Fatalf("shape %v: not separable", f["x"].Shape())
			}
		}
	}
	if got := len(late.seen); got != len(feeds) {
		t.Fatalf("%d verdicts kept, want %d", got, len(feeds))
	}
	if allocs := testing.AllocsPerRun(50, func() { late.separableFor(ss.plan, feeds[7]) }); allocs != 0 {
		t.Errorf("a seen shape allocates %v times", allocs)
	}
	for _, f := range feeds[:5] {
		checkSplitRun(t, ss, f, true)
	}
}

// checkSplitRun runs feed on s whole and as it would, requiring the same
// outputs, and that it ran split or not.
func checkSplitRun(t *testing.T, s *session, feed map[string]*tensor.Tensor, split bool) {
	t.Helper()
	got := mustRun(t, s, feed)
	sp := s.split
	s.split = nil
	want := mustRun(t, s, feed)
	s.split = sp
	for name, w := range want {
		if !sameTensor(got[name], w) {
			t.Fatalf("output %s: run %v differs from whole run %v", name, got[name], w)
		}
	}
	if ran := s.split.jobs.take() != nil; ran != split {
		t.Fatalf("ran split: %v, want %v", ran, split)
	}
}

// lateSession loads m on two threads, requiring a run-time analysis.
func lateSession(t *testing.T, m *onnx.Model) *session {
	t.Helper()
	s, err := NewSession(context.Background(), m, engine.Options{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	ss := s.(*session)
	if ss.plan.separable || ss.plan.late == nil {
		t.Fatalf("separable %v, late analysis %v: want false, set", ss.plan.separable, ss.plan.late != nil)
	}
	return ss
}
