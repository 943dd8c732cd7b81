package native

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Intra-op parallelism. Kernels split their work with parallelFor (or
// parallelRange) into at most as many chunks as the session's thread count
// (IntraOpThreads). The chunks run on the calling goroutine and on helpers:
// a process-wide set of GOMAXPROCS-1 worker goroutines that every session
// shares, so that concurrent sessions never run more goroutines than there
// are cores.
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
//   - A panic in a chunk, on whichever goroutine, is re-raised on the
//     caller once every chunk is done.
//   - Steady-state regions allocate nothing: tasks are recycled (a task
//     goes back to the pool only when the caller and every helper it was
//     handed to are done with it), and hot kernels pass a rangeBody from a
//     freeList instead of a closure (which escapes to the heap, since the
//     task stores it).

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
		t.release()
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

// rangeBody is the work of a parallel region: do computes items [lo, hi).
// Kernels on the hot path implement it with a struct taken from a freeList,
// which converts to the interface without allocating.
type rangeBody interface{ do(lo, hi int) }

// funcBody adapts a function to rangeBody.
type funcBody func(lo, hi int)

func (f funcBody) do(lo, hi int) { f(lo, hi) }

// parallelTask is one parallel region: chunks claimed through next.
type parallelTask struct {
	body   rangeBody
	n      int
	chunks int
	next   atomic.Int64
	done   atomic.Int64
	// refs counts the goroutines holding the task: the caller and every
	// helper it was sent to; the last one to let go recycles it.
	refs atomic.Int32
	// finished receives one token when the last chunk is done.
	finished chan struct{}
	mu       sync.Mutex
	panicked any
}

// tasks recycles parallelTasks, with their finished channels.
var tasks = freeList[parallelTask]{limit: maxFreeTasks}

// maxFreeTasks bounds the tasks kept for reuse.
const maxFreeTasks = 256

// getTask returns an idle task.
func getTask() *parallelTask {
	if t := tasks.take(); t != nil {
		return t
	}
	return &parallelTask{finished: make(chan struct{}, 1)}
}

// release drops one holder's reference, recycling the task after the last.
func (t *parallelTask) release() {
	if t.refs.Add(-1) != 0 {
		return
	}
	t.body, t.panicked = nil, nil
	tasks.keep(t)
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
			t.finished <- struct{}{}
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
	t.body.do(i*t.n/t.chunks, (i+1)*t.n/t.chunks)
}

// parallelFor splits [0, n) into contiguous chunks of at least grain
// items each and calls fn on every chunk, on the calling goroutine and on
// at most threads-1 idle helpers (a few chunks per goroutine, claimed as
// they finish). It returns when all chunks are done. A panic in any chunk
// is re-raised on the calling goroutine, so that Run's recover sees it
// instead of the process crashing. fn escapes to the heap: kernels on the
// hot path use parallelRange.
func parallelFor(threads, n, grain int, fn func(lo, hi int)) {
	parallelRange(threads, n, grain, funcBody(fn))
}

// parallelRange is parallelFor over a rangeBody, which is not retained
// after it returns.
func parallelRange(threads, n, grain int, body rangeBody) {
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
		body.do(0, n)
		return
	}
	helpers := chunks - 1
	// Smaller chunks than one per goroutine balance the load: whoever is
	// done first (or a caller whose helper wakes late) takes more.
	chunks = min(chunksPerThread*chunks, (n+grain-1)/grain)
	t := getTask()
	t.body, t.n, t.chunks = body, n, chunks
	t.next.Store(0)
	t.done.Store(0)
	t.refs.Store(int32(helpers + 1))
	for range helpers {
		helperTasks <- t
	}
	t.work()
	<-t.finished
	p := t.panicked
	t.release()
	if p != nil {
		panic(p)
	}
}

// workerPanic carries a panic from a parallelFor worker goroutine, with
// the worker's stack, to the calling goroutine.
type workerPanic struct {
	value any
	stack string
}
