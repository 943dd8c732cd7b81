package native

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"weak"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// sameMemory reports whether a and b are float32 tensors whose data
// starts at the same element.
func sameMemory(a, b *tensor.Tensor) bool {
	x, y := tensor.Data[float32](a), tensor.Data[float32](b)
	return len(x) > 0 && len(y) > 0 && &x[0] == &y[0]
}

// TestRecycleOutputs: once a caller hands outputs back, the next runs
// write their outputs into that memory, with the right values; what the
// session did not hand out (inputs, a copy, an output handed back twice)
// is ignored.
// Two threads run the digits CNN's batch as a split run (split_run.go).
func TestRecycleOutputs(t *testing.T) {
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) { testRecycleOutputs(t, threads) })
	}
}

func testRecycleOutputs(t *testing.T, threads int) {
	s, rc, name, out := openDigitsSession(t, threads)
	in := tensor.New(tensor.Float32, 4, 1, 8, 8)
	for i := range tensor.Data[float32](in) {
		tensor.Data[float32](in)[i] = float32(i%17) / 16
	}
	run := func(in *tensor.Tensor) *tensor.Tensor {
		return mustRun(t, s, map[string]*tensor.Tensor{name: in})[out]
	}
	want := run(in).Clone()

	first := run(in)
	rc.Recycle([]*tensor.Tensor{first}) // before any is tracked: ignored, starts tracking
	if got := run(in); sameMemory(got, first) {
		t.Fatal("an output handed back before recycling started was reused")
	}
	tracked := run(in)
	rc.Recycle([]*tensor.Tensor{tracked, tracked}) // twice: taken once
	got := run(in)
	if !sameMemory(got, tracked) {
		t.Fatal("the next run's output is not in the memory handed back")
	}
	assertClose(t, got, want)
	if again := run(in); sameMemory(again, tracked) {
		t.Fatal("an output handed back twice was reused twice")
	}

	rc.Recycle([]*tensor.Tensor{in, want, tensor.New(tensor.Float32, 4, 10)}) // not the session's outputs
	for range 3 {
		got := run(in)
		if sameMemory(got, in) || sameMemory(got, want) {
			t.Fatal("a tensor the session did not hand out was taken back")
		}
		assertClose(t, got, want)
	}
}

// Outputs that share a buffer (an output and its Reshape) are never taken
// back, since a caller may hand back one and keep reading the other; an
// output that is the caller's own input passed through is not either.
func TestRecycleSkipsSharedOutputs(t *testing.T) {
	m := model(17, []*onnx.Node{
		node("Relu", []string{"x"}, []string{"y"}),
		node("Reshape", []string{"y", "shape"}, []string{"z"}),
		node("Identity", []string{"x"}, []string{"same"}),
	}, []onnx.ValueInfo{input("x", tensor.Float32, 2, 3)}, []string{"y", "z", "same"},
		map[string]*tensor.Tensor{"shape": i64([]int{1}, 6)})
	s := mustSession(t, m, 1)
	defer s.Close()
	rc := s.(engine.Recycler)
	x := f32([]int{2, 3}, -1, 2, -3, 4, -5, 6)
	rc.Recycle(nil) // starts tracking
	first := mustRun(t, s, map[string]*tensor.Tensor{"x": x})
	if !sameMemory(first["y"], first["z"]) {
		t.Skip("the Reshape copied: nothing shared to test")
	}
	rc.Recycle([]*tensor.Tensor{first["y"], first["same"]})
	for range 3 {
		got := mustRun(t, s, map[string]*tensor.Tensor{"x": x})
		if sameMemory(got["y"], first["z"]) || sameMemory(got["y"], x) {
			t.Fatal("a shared output or the input was taken back")
		}
		assertClose(t, got["z"], f32([]int{6}, 0, 2, 0, 4, 0, 6))
	}
}

// A slice of an output (another tensor over its buffer) is not the output:
// handing it back is ignored.
func TestRecycleIgnoresSliceOfOutput(t *testing.T) {
	s, rc, name, outName := openDigitsSession(t, 1)
	run := func(rows int) *tensor.Tensor {
		return mustRun(t, s, map[string]*tensor.Tensor{name: tensor.New(tensor.Float32, rows, 1, 8, 8)})[outName]
	}
	rc.Recycle(nil) // starts tracking
	out := run(4)
	row := tensor.MustFromSlice(tensor.Data[float32](out)[:10], 1, 10)
	rc.Recycle([]*tensor.Tensor{row})
	for range 3 {
		if got := run(1); sameMemory(got, out) {
			t.Fatal("a slice of an output was taken back")
		}
	}
}

// Tracking the outputs handed out holds no memory: an output its caller
// drops instead of handing back is collected, and handing back the later
// outputs still works.
func TestRecycleTrackingHoldsNoMemory(t *testing.T) {
	s, rc, name, outName := openDigitsSession(t, 1)
	in := tensor.New(tensor.Float32, 4, 1, 8, 8)
	run := func() *tensor.Tensor {
		return mustRun(t, s, map[string]*tensor.Tensor{name: in})[outName]
	}
	rc.Recycle(nil) // starts tracking
	dropped := weak.Make(run())
	for range 3 {
		runtime.GC()
	}
	if dropped.Value() != nil {
		t.Fatal("an output the caller dropped is still referenced by the session")
	}
	kept := run()
	rc.Recycle([]*tensor.Tensor{kept})
	if got := run(); !sameMemory(got, kept) {
		t.Fatal("after a dropped output, the next output handed back was not reused")
	}
}

// openDigitsSession opens the digits CNN on threads threads, closed when
// t ends, with its recycler and its input and output names.
func openDigitsSession(t *testing.T, threads int) (engine.Session, engine.Recycler, string, string) {
	t.Helper()
	path := filepath.Join("..", "..", "examples", "models", "digits", "1", "model.onnx")
	s, err := engine.LoadPath(context.Background(), Engine{}, path, engine.Options{IntraOpThreads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, s.(engine.Recycler), s.Inputs()[0].Name, s.Outputs()[0].Name
}
