package native

import (
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
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
//   - The caller claims chunks from the front of the range and helpers
//     from the back, so each goroutine computes a contiguous part of
//     every region (the caller the first images or rows, a helper the
//     last), and the next region's part mostly reads what the same core
//     wrote (its cache) rather than the other core's: interleaved claiming
//     made the same chunks take 45-60% more time at two threads than at
//     one (YOLO at batch 32, MobileNetV2 and ResNet-18 at batch 1), as
//     data written by one core was read by the other.
//   - A reservation ends as soon as the helper is of no more use: a helper
//     stops counting busy when it finds no chunk left or before it signals
//     the last one done, and the caller hands back the reservations of
//     helpers that had not arrived when it ran out of chunks. Otherwise the
//     next region of the same run, which follows at once, finds the core
//     still reserved and runs alone (ResNet-18 at batch 1, two threads: 24
//     of 45 regions per run did).
//   - A helper polls for a while (helperSpin) after a task before it
//     parks, so that the next region of the same run finds it awake
//     (waking a parked goroutine costs microseconds, as much as a small
//     region takes); but only while tasks come that often. Polling through
//     the long gaps of a run with few regions takes a core that the caller
//     needs when other processes hold the second one (YOLO at batch 1:
//     under one region per run, and polling for 200-400 µs after it made
//     two threads 35% slower than one).
//   - While runs that may use helpers are in progress (wanted counts
//     threads-1 for each), as many helpers as they may use go on polling
//     past helperSpin (lingering), yielding their thread to any other
//     process's between polls (osYield), so that a region after a long
//     serial step (a classifier, a pooling, a layer too small to split)
//     finds its helper awake. A parked helper costs such a region its
//     wake-up: regions of 20-80 µs after gaps of 300 µs ran 0.75-0.86×
//     as fast on two threads as on one, against 1.8-1.95× back to back.
//     Lingering with runtime.Gosched instead of the yield made
//     MobileNetV2 and ResNet-18 at batch 1 20-25% slower while other
//     processes kept a core busy. Runs on one thread want no helper, so
//     single-threaded sessions never make one linger.
//   - A caller whose chunks are done polls for its helpers' last ones
//     (callerSpin) rather than blocking at once, so that the Go scheduler
//     does not move it to the core of the helper that signals it.
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
	// wanted counts the helpers the runs in progress may use: threads-1
	// for each.
	wanted atomic.Int64
	// lingering counts the helpers polling past helperSpin.
	lingering atomic.Int64
)

// chunksPerThread is how many chunks per goroutine a region is cut into,
// when it has items enough.
const chunksPerThread = 4

// helperSpin is how long an idle helper polls for a task before it parks,
// when the last task came within that time. Waking a parked helper took
// 10-200 µs (most 50-200) on the 2-vCPU test machine, longer than many
// regions, and at 50 µs the helpers of MobileNetV2 and ResNet-18 at batch
// 1 and of YOLO at batch 32 parked 21-37 times per run; at 200 µs they
// park 2-12 times, for no more CPU per run (the CPU went into waking).
const helperSpin = 200 * time.Microsecond

// startHelpers starts the helper goroutines, once.
func startHelpers() {
	helpersOnce.Do(func() {
		n := runtime.GOMAXPROCS(0) - 1
		helperCount = n
		// Room for every helper's task and for tasks left behind (all
		// of whose chunks the caller ran) that no helper took yet; a
		// region finding it full runs without helpers (handOut).
		helperTasks = make(chan *parallelTask, 4*max(1, n))
		for range n {
			go helperLoop()
		}
	})
}

func helperLoop() {
	spin := true
	for {
		idle := time.Now()
		t := pollTask(idle, spin || wanted.Load() > 0)
		if t == nil {
			t = <-helperTasks
		}
		spin = postedSoon(idle, t.posted)
		if t.join() {
			t.work(true)
		}
		t.release()
	}
}

// postedSoon reports whether a helper idle since idle should poll after
// its next task: whether that task was posted within helperSpin. It is
// judged by when the task was posted, not when it reached the helper: that
// includes waking a parked helper, often longer than helperSpin, so a
// helper judged by arrival, once parked, parked again after every task
// and was woken late for each (ResNet-18 at batch 1, two threads: about
// 10 times a run, 100-300 µs late each).
func postedSoon(idle, posted time.Time) bool { return posted.Sub(idle) <= helperSpin }

// pollTask polls for a task for helperSpin from start, if spin is set,
// and past that for as long as it may linger (lingerOn), and returns nil
// if none came. It yields its thread to other processes (osYield) every
// 16 polls, and at every poll once lingering.
func pollTask(start time.Time, spin bool) *parallelTask {
	held := false // whether this helper counts in lingering
	for i := 0; spin; i++ {
		select {
		case t := <-helperTasks:
			if held {
				lingering.Add(-1)
			}
			return t
		default:
		}
		if i%16 == 15 && time.Since(start) > helperSpin {
			if held = lingerOn(held, &lingering, lingerWanted()); !held {
				return nil
			}
		}
		switch {
		case held:
			osYield()
		case i%16 == 15:
			runtime.Gosched()
			osYield()
		default:
			runtime.Gosched()
		}
	}
	return nil
}

// lingerOn reports whether a helper past helperSpin goes on polling, and
// counts it in lingering if so (held is whether it already counts): as
// long as the runs in progress that may hand out work want more helpers
// than linger already. Within a run a parked helper costs each region
// handed to it a wake-up, 50-200 µs on the 2-vCPU test machine (and
// 5-30 µs of the caller's time), and runs with long serial steps (a
// classifier, a pooling) left gaps over helperSpin between regions.
func lingerOn(held bool, lingering *atomic.Int64, want int64) bool {
	for {
		n := lingering.Load()
		if held {
			if n <= want {
				return true
			}
			lingering.Add(-1)
			return false
		}
		if n >= want {
			return false
		}
		if lingering.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// lingerWanted is how many helpers may linger: as many as the runs in
// progress may use (wanted), but no more than there are cores no run
// holds, which reserveHelpers could give them. While concurrent requests
// hold every core, no run can reserve a helper, and one polling would
// only take CPU time from them (its osYield gives the core to other
// processes, not to this process's goroutines).
func lingerWanted() int64 {
	return min(wanted.Load(), int64(runtime.GOMAXPROCS(0))-max(busy.Load(), 1))
}

// enterRun and exitRun bracket a run of the given threads, which
// computes on its own goroutine.
func enterRun(threads int) {
	busy.Add(1)
	wanted.Add(int64(max(threads, 1) - 1))
}

func exitRun(threads int) {
	wanted.Add(-int64(max(threads, 1) - 1))
	busy.Add(-1)
}

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

// parallelTask is one parallel region: chunks claimed through ends (claim).
type parallelTask struct {
	body   rangeBody
	n      int
	chunks int
	// ends holds the chunks not yet claimed, [lo, hi): lo in the low 32
	// bits, hi in the high ones.
	ends atomic.Uint64
	done atomic.Int64
	// joined counts the helpers that arrived, plus closed once the
	// caller has handed back the reservations of the others.
	joined atomic.Int64
	// refs counts the goroutines holding the task: the caller and every
	// helper it was sent to; the last one to let go recycles it.
	refs atomic.Int32
	// finished receives one token when the last chunk is done.
	finished chan struct{}
	mu       sync.Mutex
	panicked any
	// posted is when the caller handed the task out.
	posted time.Time
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
// goroutine finishing the last chunk signals finished. A helper (helper
// set) stops counting busy as it leaves, before that signal.
func (t *parallelTask) work(helper bool) {
	for {
		i := t.claim(!helper)
		if i < 0 {
			if helper {
				busy.Add(-1)
			}
			return
		}
		t.runChunk(i)
		if int(t.done.Add(1)) == t.chunks {
			if helper {
				busy.Add(-1)
			}
			t.finished <- struct{}{}
			return
		}
	}
}

// claim takes the first chunk not yet claimed (front set) or the last,
// and returns its index, or -1 when none is left.
func (t *parallelTask) claim(front bool) int { return claimEnd(&t.ends, front) }

// claimEnd takes the first item of the range [lo, hi) held in ends (lo
// in the low 32 bits, hi in the high ones) when front is set, else the
// last, and returns it, or -1 when the range is empty.
func claimEnd(ends *atomic.Uint64, front bool) int {
	for {
		v := ends.Load()
		lo, hi := uint32(v), uint32(v>>32)
		if lo >= hi {
			return -1
		}
		next, i := v+1, lo
		if !front {
			next, i = v-1<<32, hi-1
		}
		if ends.CompareAndSwap(v, next) {
			return int(i)
		}
	}
}

// handOut sends the task to up to helpers reserved helpers and returns
// how many it reached. It never blocks: when the queue is full of tasks
// left behind that no helper took yet (their reservations were handed
// back, so regions go on reserving), the rest of the reservations and
// references are dropped at once.
func (t *parallelTask) handOut(helpers int) int {
	for i := range helpers {
		select {
		case helperTasks <- t:
		default:
			busy.Add(-int64(helpers - i))
			t.refs.Add(-int32(helpers - i))
			return i
		}
	}
	return helpers
}

// callerSpin bounds how long a caller polls for its helpers' last chunks
// before it blocks on finished.
const callerSpin = time.Millisecond

// wait returns once every chunk is done. The caller polls done first,
// for up to callerSpin, yielding its thread (osYield, not to the Go
// scheduler) every 64 polls: when other processes hold one core, the
// caller and its helper can share the other, and a caller polling without
// yielding kept the helper from its chunk until the kernel preempted it.
// Under such load (load average 4-5) the yields here and in pollTask, with
// lingering helpers, made MobileNetV2 at batch 1 on two threads 7% faster
// than lingering without them, and 30% faster than before either. It
// does not block at once: blocking handed its core to the
// helper that signals it (the Go scheduler runs a goroutine readied by a
// channel send on the sender's thread, and the helper then waits in the
// run queue for the other thread to wake), so that the next region ran
// with the caller's and the helper's parts on swapped cores, each reading
// what the other wrote. ResNet-18 at batch 1, two threads: the caller
// changed cores between regions 380-540 times in 30 runs when it blocked,
// 40-70 times when it polls.
func (t *parallelTask) wait() {
	chunks := int64(t.chunks)
	start := time.Now()
	for i := 1; t.done.Load() != chunks; i++ {
		if i%64 == 0 {
			if time.Since(start) > callerSpin {
				break
			}
			osYield()
		}
	}
	<-t.finished
}

// closed is added to a task's joined count when the caller has claimed
// the last chunk: helpers arriving after it find nothing to do, and their
// reservations are handed back already.
const closed = 1 << 30

// join is a helper's arrival at the task; it reports whether the helper
// came in time to look for chunks (and is still counted busy).
func (t *parallelTask) join() bool { return t.joined.Add(1) < closed }

// close is the caller's, once no chunk is left to claim: it hands back
// the reservations of the helpers that have not arrived.
func (t *parallelTask) close(helpers int) {
	arrived := int(t.joined.Add(closed) - closed)
	if late := helpers - arrived; late > 0 {
		busy.Add(-int64(late))
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
	t.ends.Store(uint64(chunks) << 32)
	t.done.Store(0)
	t.joined.Store(0)
	t.refs.Store(int32(helpers + 1))
	t.posted = time.Now()
	helpers = t.handOut(helpers)
	t.work(false)
	t.close(helpers)
	t.wait()
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
