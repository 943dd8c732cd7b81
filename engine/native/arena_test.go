package native

import (
	"slices"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestArena(t *testing.T) {
	a := newArena()
	x := a.alloc(tensor.Float32, []int{4, 4})
	a.retain(x)
	view, _ := x.Reshape(16)
	a.retain(view)

	a.release(x) // the view still refers to the buffer
	if len(a.free[tensor.Float32]) != 0 {
		t.Fatal("buffer recycled while a view was live")
	}
	a.release(view)
	if len(a.free[tensor.Float32]) != 1 {
		t.Fatal("buffer not recycled after its last reference died")
	}
	// A smaller request reuses it; a larger one allocates.
	y := a.alloc(tensor.Float32, []int{3, 5})
	if &tensor.Data[float32](y)[0] != &tensor.Data[float32](x)[0] || y.Len() != 15 {
		t.Fatal("smaller allocation did not reuse the free buffer")
	}
	z := a.alloc(tensor.Float32, []int{17})
	if z.Len() != 17 {
		t.Fatal("wrong size")
	}
	// Buffers the arena did not allocate are never recycled.
	foreign := tensor.New(tensor.Float32, 8)
	a.retain(foreign)
	a.release(foreign)
	// Other types have their own lists; best fit picks the smallest.
	a.retain(y)
	a.retain(z)
	a.release(z)
	a.release(y)
	if got := a.alloc(tensor.Float32, []int{2}); cap(tensor.Data[float32](got)) != 16 {
		t.Fatalf("best fit chose capacity %d, want 16", cap(tensor.Data[float32](got)))
	}
	if got := a.alloc(tensor.Int64, []int{2}); got.DType() != tensor.Int64 {
		t.Fatal("wrong type")
	}
	for _, buf := range a.free[tensor.Float32] {
		if buf.size == 8 {
			t.Fatal("foreign buffer was recycled")
		}
	}
	a.endRun()
	if len(a.owned) != 0 {
		t.Fatal("endRun kept ownership records")
	}
}

func TestArenaBoundsFreeList(t *testing.T) {
	a := newArena()
	var live []*tensor.Tensor
	for i := range maxFreeBuffers + 10 {
		x := a.alloc(tensor.Float32, []int{i + 1})
		a.retain(x)
		live = append(live, x)
	}
	for i := len(live) - 1; i >= 0; i-- { // largest first
		a.release(live[i])
	}
	if n := len(a.free[tensor.Float32]); n != maxFreeBuffers {
		t.Fatalf("free list holds %d buffers, want the limit %d", n, maxFreeBuffers)
	}
	for _, buf := range a.free[tensor.Float32] {
		if buf.size <= 10 {
			t.Errorf("kept a small buffer (%d) over larger ones", buf.size)
		}
	}
	if len(a.bufs) != maxFreeBuffers {
		t.Errorf("arena keeps %d buffers, want the %d free ones", len(a.bufs), maxFreeBuffers)
	}
}

// TestArenaViews checks that the arena hands out the same tensors for the
// same shapes run after run, for its buffers and their views.
func TestArenaViews(t *testing.T) {
	a := newArena()
	run := func() (x, v *tensor.Tensor) {
		x = a.alloc(tensor.Float32, []int{2, 6})
		a.retain(x)
		v, err := a.view(x, []int{3, 4})
		if err != nil {
			t.Fatal(err)
		}
		a.retain(v)
		a.release(x)
		a.release(v)
		a.endRun()
		return x, v
	}
	x1, v1 := run()
	for range 2 {
		x, v := run()
		if x != x1 {
			t.Error("the buffer's tensor was not reused")
		}
		if v != v1 || !slices.Equal(v.Shape(), []int{3, 4}) || &tensor.Data[float32](v)[0] != &tensor.Data[float32](x)[0] {
			t.Errorf("view %v of %v was not reused: %p, %p", v, x, v1, v)
		}
	}
	// A smaller value reuses the buffer, which then has a tensor of its
	// shape too; a view of another element count is still an error.
	small := a.alloc(tensor.Float32, []int{2, 5})
	if &tensor.Data[float32](small)[0] != &tensor.Data[float32](x1)[0] {
		t.Fatal("smaller value did not reuse the free buffer")
	}
	a.retain(small)
	a.release(small)
	y := a.alloc(tensor.Float32, []int{2, 6})
	a.retain(y)
	if y != x1 {
		t.Error("the buffer's tensor was not reused")
	}
	if v, err := a.view(y, []int{2, 5}); err == nil {
		t.Errorf("view of %v as [2 5] succeeded: %v", y, v)
	}
	// Views of tensors the arena does not own are plain reshapes.
	foreign := tensor.New(tensor.Float32, 4)
	if v, err := a.view(foreign, []int{2, 2}); err != nil || &tensor.Data[float32](v)[0] != &tensor.Data[float32](foreign)[0] {
		t.Errorf("view of a foreign tensor: %v, %v", v, err)
	}
	// Outputs (still owned at the end of the run) leave the arena.
	a.endRun()
	if len(a.bufs) != 0 {
		t.Errorf("arena still records %d buffers after its only one was handed out", len(a.bufs))
	}
}

func TestValidShape(t *testing.T) {
	for _, shape := range [][]int{nil, {0}, {3, 4}, {-1}, {2, -3}, {1 << 31}, {1 << 31, 2}, {1 << 16, 1 << 16}, {0, -1}, {1 << 40, 0}} {
		if got, want := validShape(shape), tensor.CheckShape(shape) == nil; got != want {
			t.Errorf("validShape(%v) = %v, tensor.CheckShape says %v", shape, got, want)
		}
	}
}

// TestArenaKeepsAssignment checks that an alloc gets the buffer it got in
// the last run, and that an alloc whose buffer left as an output gets a
// new one rather than the buffer another alloc will want again.
func TestArenaKeepsAssignment(t *testing.T) {
	a := newArena()
	first := func(x *tensor.Tensor) *float32 { return &tensor.Data[float32](x)[0] }
	// A run: a temporary, released, then an output of the same size.
	run := func() (tmp, out *float32) {
		x := a.alloc(tensor.Float32, []int{8})
		a.retain(x)
		a.release(x)
		y := a.alloc(tensor.Float32, []int{8})
		a.endRun()
		return first(x), first(y)
	}
	tmp1, out1 := run()
	if out1 != tmp1 {
		t.Fatal("first run: best fit did not reuse the temporary's buffer")
	}
	tmp2, out2 := run()
	if out2 == tmp2 {
		t.Fatal("second run: the output took the temporary's buffer, which the next run needs again")
	}
	for i := range 3 {
		tmp, out := run()
		if tmp != tmp2 {
			t.Fatalf("run %d: the temporary did not get its buffer of the last run", i+3)
		}
		if out == tmp {
			t.Fatalf("run %d: the output took the temporary's buffer", i+3)
		}
	}
}

// TestArenaDropsStaleBuffers fills the free list with large buffers, then
// runs with small values only, as a session does when a batcher's large
// batches give way to single requests. The small values' allocs got
// buffers that left the arena in the last large run (outputs), so they
// get new ones; released into a full free list, those used to be dropped
// for being the smallest, and the next run allocated them anew, run after
// run. Once the large buffers have gone unused for staleRuns runs, the
// small ones take their places and a run allocates nothing; and soon after
// the large ones leave the free list, which every alloc looks through.
func TestArenaDropsStaleBuffers(t *testing.T) {
	a := newArena()
	small := func() []*tensor.Tensor {
		var got []*tensor.Tensor
		for range 8 {
			x := a.alloc(tensor.Float32, []int{10})
			a.retain(x)
			got = append(got, x)
		}
		return got
	}
	outputs := small() // the large run: its first allocs leave as outputs
	var large []*tensor.Tensor
	for range maxFreeBuffers {
		x := a.alloc(tensor.Float32, []int{1000})
		a.retain(x)
		large = append(large, x)
	}
	for _, x := range large {
		a.release(x)
	}
	a.endRun()
	if n := len(a.free[tensor.Float32]); n != maxFreeBuffers || len(outputs) != 8 {
		t.Fatalf("free list holds %d buffers after the large run, want %d", n, maxFreeBuffers)
	}
	run := func() []*tensor.Tensor {
		got := small()
		for _, x := range got {
			a.release(x)
		}
		a.endRun()
		return got
	}
	for range 2*staleRuns + 2 {
		run()
	}
	before, after := run(), run()
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("alloc %d got a new tensor in a steady run of small values: the stale large buffers were kept", i)
		}
	}
	kept := 0
	for _, b := range a.free[tensor.Float32] {
		if b.size < 1000 {
			kept++
		}
	}
	if n := len(a.free[tensor.Float32]); kept != 8 || n != 8 {
		t.Errorf("free list holds %d buffers, %d of them small; want only the 8 of the runs", n, kept)
	}
}

// TestArenaForgetsOlderPicks: an alloc past the end of the last run's
// allocs falls back to best fit, even when an older, longer run's alloc at
// that place got a buffer since pruned. Pruned buffers used to look like
// outputs that left the arena, so the alloc took a new buffer although a
// free one fitted.
func TestArenaForgetsOlderPicks(t *testing.T) {
	a := newArena()
	var long []*tensor.Tensor
	for range 8 {
		x := a.alloc(tensor.Float32, []int{10})
		a.retain(x)
		long = append(long, x)
	}
	for _, x := range long {
		a.release(x)
	}
	a.endRun()
	for range 2*staleRuns + 1 { // short runs, until the long run's extra buffers are pruned
		x := a.alloc(tensor.Float32, []int{10})
		a.retain(x)
		a.release(x)
		a.endRun()
	}
	x := a.alloc(tensor.Float32, []int{10})
	a.retain(x)
	a.release(x)
	y := a.alloc(tensor.Float32, []int{10})
	if &tensor.Data[float32](y)[0] != &tensor.Data[float32](x)[0] {
		t.Fatal("the second alloc took a new buffer although the first one's was free")
	}
}
