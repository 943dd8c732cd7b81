package native

import (
	"runtime/debug"
	"sync"
)

// parallelFor splits [0, n) into at most threads contiguous chunks of at
// least grain items each and calls fn on every chunk, the first one on the
// calling goroutine. It returns when all chunks are done. A panic in any
// chunk is re-raised on the calling goroutine, so that Run's recover sees it
// instead of the process crashing.
func parallelFor(threads, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := min(threads, (n+grain-1)/grain)
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		panicked any
	)
	bounds := func(i int) (int, int) { return i * n / chunks, (i + 1) * n / chunks }
	for i := 1; i < chunks; i++ {
		lo, hi := bounds(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if panicked == nil {
						panicked = r
						if _, ok := r.(kernelError); !ok {
							// Keep the worker's stack: the caller's is useless.
							panicked = workerPanic{value: r, stack: string(debug.Stack())}
						}
					}
					mu.Unlock()
				}
			}()
			fn(lo, hi)
		}()
	}
	lo, hi := bounds(0)
	func() {
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				if panicked == nil {
					panicked = r
				}
				mu.Unlock()
			}
		}()
		fn(lo, hi)
	}()
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// workerPanic carries a panic from a parallelFor worker goroutine, with
// the worker's stack, to the calling goroutine.
type workerPanic struct {
	value any
	stack string
}
