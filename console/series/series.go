package series

import (
	"sync"
	"time"
)

// bucket is what one series saw in one Width.
type bucket struct {
	slot             int64 // time / Width
	requests, errors uint64
	latency          [latBuckets]uint32
	queue            [latBuckets]uint32
	batches          [batchBuckets]uint32
	agree, disagree  uint32
	shadowOther      uint32
}

// Series is one version's (or step's) ring of buckets.
type Series struct {
	now  func() time.Time
	mu   sync.Mutex
	ring [Slots]*bucket
}

// current returns the bucket of now, reset if it held an older slot; the
// caller holds s.mu.
func (s *Series) current() *bucket {
	slot := s.now().UnixNano() / int64(Width)
	i := slot % Slots
	b := s.ring[i]
	if b == nil {
		b = &bucket{}
		s.ring[i] = b
	}
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	return b
}

// Request records a request (or a pipeline step run) that took d.
func (s *Series) Request(failed bool, d time.Duration) {
	if s == nil {
		return
	}
	s.mu.Lock()
	b := s.current()
	b.requests++
	if failed {
		b.errors++
	}
	b.latency[latIndex(d)]++
	s.mu.Unlock()
}

// Batch records an engine call of rows rows.
func (s *Series) Batch(rows int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.current().batches[batchIndex(rows)]++
	s.mu.Unlock()
}

// Queued records the time a request waited in the batching queue.
func (s *Series) Queued(d time.Duration) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.current().queue[latIndex(d)]++
	s.mu.Unlock()
}

// Shadow records a mirrored request's result: agree, disagree or other.
func (s *Series) Shadow(result string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	b := s.current()
	switch result {
	case "agree":
		b.agree++
	case "disagree":
		b.disagree++
	default:
		b.shadowOther++
	}
	s.mu.Unlock()
}
