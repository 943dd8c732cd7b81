package native

import "sync"

// scratchPool recycles float32 work buffers (im2col columns, packed GEMM
// panels) across kernels and runs.
var scratchPool sync.Pool

// getScratch returns a buffer of length n with unspecified contents. Return
// it with putScratch when done.
func getScratch(n int) *[]float32 {
	if p, ok := scratchPool.Get().(*[]float32); ok {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
	}
	s := make([]float32, n)
	return &s
}

// putScratch returns a buffer obtained from getScratch.
func putScratch(p *[]float32) { scratchPool.Put(p) }
