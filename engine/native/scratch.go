package native

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Scratch buffers (packed GEMM panels, im2col matrices, padded planes,
// transform buffers) are recycled across kernels, runs and sessions in
// size classes of powers of two.
//
//   - Unlike a sync.Pool the classes keep their buffers across garbage
//     collections, so a steady state allocates none; each class keeps at
//     most scratchClassBytes worth (and at least one buffer).
//   - The classes are sharded by the Go scheduler's P (the processor a
//     goroutine runs on, in practice a core): a buffer goes back to the
//     shard of the P that used it, and the next kernel on that P takes it
//     from there, still in the core's cache. With one stack shared by all
//     cores, the buffer a core took was as often the one the other core
//     had just filled, and writing it moved every cache line across: on
//     the 2-vCPU test machine, a Winograd 3×3 convolution's input and
//     output transforms (a buffer per channel) ran 3× slower on two threads
//     than on one, and ResNet-18's 256@14 layer at batch 1 took 943 µs on
//     two threads with one stack, 693 µs sharded, 1042-1059 µs on one
//     (BenchmarkConvBatch, two runs alternated).
//   - A shard that has no buffer of the class takes one from another shard
//     before it allocates, so sharding never allocates more than a single
//     stack would once every core has run.
type scratchClass = freeList[[]float32]

const (
	minScratchClass   = 6 // 64 floats
	scratchClassBytes = 64 << 20
	// maxScratchShards bounds the shards; Ps beyond it share them.
	maxScratchShards = 64
)

// scratchShard is one P's classes, padded so that neighbouring shards'
// locks do not share a cache line.
type scratchShard struct {
	classes [64]scratchClass
	_       [64]byte
}

var (
	scratchShards [maxScratchShards]scratchShard
	// shardCount is how many shards are in use: GOMAXPROCS when the first
	// was assigned, at most maxScratchShards.
	shardCount = sync.OnceValue(func() int { return min(max(1, runtime.GOMAXPROCS(0)), maxScratchShards) })
	// shardNext numbers the shards as Ps first ask for one.
	shardNext atomic.Uint32
	// shardRefs hands each P its shard: a sync.Pool keeps a value per P,
	// and localShard puts the one it took straight back, so a P finds its
	// own again. When a garbage collection empties the pool (or the race
	// detector drops a Put), the P is given the next number; the buffers
	// stay in the shards, and the numbers are preallocated, so that never
	// allocates.
	shardRefs = sync.Pool{New: func() any { return &shardNumbers[int(shardNext.Add(1)-1)%shardCount()] }}
	// shardNumbers holds shard i's number at index i.
	shardNumbers = func() (r [maxScratchShards]shardRef) {
		for i := range r {
			r[i].i = i
		}
		return r
	}()
)

// shardRef is a shard's number.
type shardRef struct{ i int }

// localShard returns the shard of the P the caller runs on.
func localShard() int {
	r := shardRefs.Get().(*shardRef)
	i := r.i
	shardRefs.Put(r)
	return i
}

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
	home := localShard()
	shards := shardCount()
	for k := range shards {
		if p := scratchShards[(home+k)%shards].classes[c].take(); p != nil {
			*p = (*p)[:n]
			return p
		}
	}
	s := make([]float32, n, 1<<c)
	return &s
}

// putScratch returns a buffer obtained from getScratch, to the shard of the
// P the caller runs on.
func putScratch(p *[]float32) {
	c := scratchClassOf(cap(*p))
	if cap(*p) != 1<<c {
		return // not one of ours
	}
	scratchShards[localShard()].classes[c].keepUpTo(p, max(1, scratchClassBytes/(4<<c)/shardCount()))
}
