package native

import (
	"math/bits"
	"sync"
)

// Scratch buffers (packed GEMM panels, im2col matrices, padded planes) are
// recycled across kernels, runs and sessions in size classes of powers of
// two. Unlike a sync.Pool the classes keep their buffers across garbage
// collections, so a steady state allocates none; each class keeps at most
// scratchClassBytes worth (and at least one buffer).
type scratchClass struct {
	mu   sync.Mutex
	bufs []*[]float32
}

const (
	minScratchClass   = 6 // 64 floats
	scratchClassBytes = 64 << 20
)

var scratchClasses [64]scratchClass

// scratchClassOf returns the class of buffers able to hold n floats.
func scratchClassOf(n int) int {
	if n <= 1<<minScratchClass {
		return minScratchClass
	}
	return bits.Len(uint(n - 1))
}

// getScratch returns a buffer of length n with unspecified contents. Return
// it with putScratch when done.
func getScratch(n int) *[]float32 {
	c := scratchClassOf(n)
	sc := &scratchClasses[c]
	sc.mu.Lock()
	if k := len(sc.bufs); k > 0 {
		p := sc.bufs[k-1]
		sc.bufs = sc.bufs[:k-1]
		sc.mu.Unlock()
		*p = (*p)[:n]
		return p
	}
	sc.mu.Unlock()
	s := make([]float32, n, 1<<c)
	return &s
}

// putScratch returns a buffer obtained from getScratch.
func putScratch(p *[]float32) {
	c := scratchClassOf(cap(*p))
	if cap(*p) != 1<<c {
		return // not one of ours
	}
	sc := &scratchClasses[c]
	sc.mu.Lock()
	if len(sc.bufs) < max(1, scratchClassBytes/(4<<c)) {
		sc.bufs = append(sc.bufs, p)
	}
	sc.mu.Unlock()
}
