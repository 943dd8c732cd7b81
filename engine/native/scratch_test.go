package native

import (
	"fmt"
	"sync"
	"testing"
)

// TestScratchClasses: a buffer has the length asked for and the capacity
// of its class, and one that is not of a class is not kept.
func TestScratchClasses(t *testing.T) {
	for _, tc := range []struct{ n, capacity int }{
		{1, 64}, {64, 64}, {65, 128}, {1000, 1024}, {1024, 1024}, {1025, 2048}, {1 << 20, 1 << 20},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			p := getScratch(tc.n)
			if len(*p) != tc.n || cap(*p) != tc.capacity {
				t.Fatalf("getScratch(%d): len %d cap %d, want len %d cap %d", tc.n, len(*p), cap(*p), tc.n, tc.capacity)
			}
			putScratch(p)
		})
	}
	odd := make([]float32, 10, 100)
	putScratch(&odd)
	for s := range shardCount() {
		for _, b := range scratchShards[s].classes[scratchClassOf(100)].free {
			if b == &odd {
				t.Fatal("a buffer whose capacity is not a class's was kept")
			}
		}
	}
}

// TestScratchSteal: a shard without a buffer of the class takes another
// shard's before it allocates, so a steady state allocates none whichever
// P its goroutines run on.
func TestScratchSteal(t *testing.T) {
	if shardCount() < 2 {
		t.Skip("one shard (GOMAXPROCS 1)")
	}
	const n = 3 << 20 // a class no other test uses
	c := scratchClassOf(n)
	for s := range shardCount() {
		scratchShards[s].classes[c].drop()
	}
	mine := make([]float32, 1<<c)
	for s := range shardCount() {
		sc := &scratchShards[s].classes[c]
		sc.drop()
		sc.keepUpTo(&mine, 1)
		got := getScratch(n)
		if got != &mine {
			t.Fatalf("getScratch allocated a buffer while shard %d (of %d) held one", s, shardCount())
		}
		if len(*got) != n {
			t.Fatalf("len %d, want %d", len(*got), n)
		}
	}
}

// TestScratchLocal: the buffer a goroutine puts back is the next one it
// gets, and concurrent users never share one.
func TestScratchLocal(t *testing.T) {
	found := false
	for range 10 { // preemption between the calls may change the P
		p := getScratch(5000)
		putScratch(p)
		if q := getScratch(5000); q == p {
			found = true
			putScratch(q)
			break
		} else {
			putScratch(q)
		}
	}
	if !found {
		t.Fatal("a buffer put back was never the next one taken on the same P")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := map[*[]float32]bool{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p := getScratch(100 + (g+i)%3*1000)
				mu.Lock()
				if held[p] {
					t.Error("a buffer was handed out twice")
				}
				held[p] = true
				mu.Unlock()
				(*p)[0] = float32(g)
				mu.Lock()
				delete(held, p)
				mu.Unlock()
				putScratch(p)
			}
		}()
	}
	wg.Wait()
	if allocs := testing.AllocsPerRun(100, func() { putScratch(getScratch(700)) }); allocs != 0 {
		t.Fatalf("a steady get and put allocated %v times", allocs)
	}
}
