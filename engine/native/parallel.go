package native

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Intra-op parallelism. Kernels split their work with parallelFor into at
// most as many chunks as the session's thread count (IntraOpThreads). The
// chunks run on the calling goroutine and on helpers: a process-wide set of
// GOMAXPROCS-1 worker goroutines that every session shares, so that
// concurrent sessions never run more goroutines than there are cores.
//
//   - A region takes only helpers that are idle and only as many as there
//     are cores not already computing: busy counts the goroutines in
//     kernels (each running Run and each working helper). Two sessions
//     running at once on two cores thus each run on one.
//   - Chunks are claimed dynamically: the caller starts at once and takes
//     the chunks no helper has claimed yet, so a helper slow to wake never
//     delays a small region; regions only wait for chunks that are running.
//   - A helper spins for a while after each task before it parks, so that
//     the next region of the same run finds it awake (waking a parked
//     goroutine costs microseconds, as much as a small region takes).

var (
	helpersOnce sync.Once
	helperTasks chan *parallelTask
	// helperCount is the number of helpers.
	helperCount int
	// busy counts the goroutines computing in kernels: the runs in
	// progress and the working helpers.
	busy atomic.Int64
)

// chunksPerThread is how many chunks per goroutine a region is cut into,
// when it has items enough.
const chunksPerThread = 4

// helperSpins is how many times an idle helper polls for a task before it
// parks (tens of microseconds).
const helperSpins = 2000

// startHelpers starts the helper goroutines, once.
func startHelpers() {
	helpersOnce.Do(func() {
		n := runtime.GOMAXPROCS(0) - 1
		helperCount = n
		// Room for every helper's task and for tasks left behind (all
		// of whose chunks the caller ran) that no helper took yet.
		helperTasks = make(chan *parallelTask, 4*max(1, n))
		for range n {
			go helperLoop()
		}
	})
}

func helperLoop() {
	for {
		var t *parallelTask
	poll:
		for range helperSpins {
			select {
			case t = <-helperTasks:
				break poll
			default:
				runtime.Gosched()
			}
		}
		if t == nil {
			t = <-helperTasks
		}
		t.work()
		busy.Add(-1)
	}
}

// enterRun and exitRun bracket a run, which computes on its own goroutine.
func enterRun() { busy.Add(1) }
func exitRun()  { busy.Add(-1) }

// reserveHelpers takes up to want helpers among the idle cores, counting
// them busy, and returns how many it took.
func reserveHelpers(want int) int {
	procs := int64(runtime.GOMAXPROCS(0))
	for {
		b := busy.Load()
		got := min(int64(want), int64(helperCount), procs-max(b, 1))
		if got <= 0 {
			return 0
		}
		if busy.CompareAndSwap(b, b+got) {
			return int(got)
		}
	}
}

// parallelTask is one parallel region: chunks claimed through next.
type parallelTask struct {
	fn       func(lo, hi int)
	n        int
	chunks   int
	next     atomic.Int64
	done     atomic.Int64
	finished chan struct{}
	mu       sync.Mutex
	panicked any
}

// work runs chunks until none is left, recording the first panic. The
// goroutine finishing the last chunk signals finished.
func (t *parallelTask) work() {
	for {
		i := int(t.next.Add(1) - 1)
		if i >= t.chunks {
			return
		}
		t.runChunk(i)
		if int(t.done.Add(1)) == t.chunks {
			close(t.finished)
		}
	}
}

func (t *parallelTask) runChunk(i int) {
	defer func() {
		if r := recover(); r != nil {
			t.mu.Lock()
			if t.panicked == nil {
				t.panicked = r
				if _, ok := r.(kernelError); !ok {
					// Keep the worker's stack: the caller's is useless.
					t.panicked = workerPanic{value: r, stack: string(debug.Stack())}
				}
			}
			t.mu.Unlock()
		}
	}()
	t.fn(i*t.n/t.chunks, (i+1)*t.n/t.chunks)
}

// parallelFor splits [0, n) into contiguous chunks of at least grain
// items each and calls fn on every chunk, on the calling goroutine and on
// at most threads-1 idle helpers (a few chunks per goroutine, claimed as
// they finish). It returns when all chunks are done. A panic in any chunk
// is re-raised on the calling goroutine, so that Run's recover sees it
// instead of the process crashing.
func parallelFor(threads, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := min(threads, (n+grain-1)/grain)
	if chunks > 1 {
		startHelpers()
		chunks = 1 + reserveHelpers(chunks-1)
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	helpers := chunks - 1
	// Smaller chunks than one per goroutine balance the load: whoever is
	// done first (or a caller whose helper wakes late) takes more.
	chunks = min(chunksPerThread*chunks, (n+grain-1)/grain)
	t := &parallelTask{fn: fn, n: n, chunks: chunks, finished: make(chan struct{})}
	for range helpers {
		helperTasks <- t
	}
	t.work()
	<-t.finished
	if t.panicked != nil {
		panic(t.panicked)
	}
}

// workerPanic carries a panic from a parallelFor worker goroutine, with
// the worker's stack, to the calling goroutine.
type workerPanic struct {
	value any
	stack string
}
