package native

import (
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
		if capOf(buf) == 8 {
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
		if capOf(buf.Data()) <= 10 {
			t.Errorf("kept a small buffer (%d) over larger ones", capOf(buf.Data()))
		}
	}
}
