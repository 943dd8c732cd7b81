package batch

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/inferd/inferd/tensor"
)

// A queued request's record, with its two channels, its signature's bytes,
// the leader's timer and its batch's slice, is taken from a pool and goes
// back once the request is out of the queue and answered (or withdrawn):
// the queue path allocates nothing of its own in the steady state.

var records = sync.Pool{New: func() any {
	return &request{poke: make(chan struct{}, 1), inBatch: make(chan struct{}, 1), done: make(chan result, 1)}
}}

// newRequest returns a record for a request of rows rows that arrived at
// enq.
func newRequest(ctx context.Context, inputs map[string]*tensor.Tensor, rows int, enq time.Time) *request {
	r := records.Get().(*request)
	r.ctx, r.inputs, r.rows, r.enq = ctx, inputs, rows, enq
	r.sig = appendSignatures(r.sig[:0], inputs)
	r.taken, r.left = false, false
	return r
}

// release returns r to the pool. r is out of the queue, no batch holds it,
// and its answer, if one was sent, was received: nothing refers to it.
func (r *request) release() {
	select {
	case <-r.poke: // a poke that leave passed on
	default:
	}
	select {
	case <-r.inBatch:
	default:
	}
	r.ctx, r.inputs = nil, nil
	clear(r.picked[:cap(r.picked)])
	r.picked = r.picked[:0]
	records.Put(r)
}

// wait waits, leading, for d, a wake-up, r's being taken into another
// leader's batch or the end of r's context, on r's timer.
func (r *request) wait(d time.Duration, wake <-chan struct{}) {
	if r.timer == nil {
		r.timer = time.NewTimer(d)
	} else {
		r.timer.Reset(d)
	}
	select {
	case <-wake:
	case <-r.inBatch:
	case <-r.timer.C:
	case <-r.ctx.Done():
	}
	r.timer.Stop()
}

// appendSignatures appends to sig a key that equals for requests whose
// inputs can be concatenated (same names, types and dimensions after the
// first); the inputs passed batchRows.
func appendSignatures(sig []byte, inputs map[string]*tensor.Tensor) []byte {
	if len(inputs) == 1 { // the common case: nothing to sort
		for name, t := range inputs {
			sig = appendSignature(sig, name, t)
		}
		return sig
	}
	for _, name := range slices.Sorted(maps.Keys(inputs)) {
		sig = appendSignature(sig, name, inputs[name])
	}
	return sig
}

// appendSignature appends input name's part of the signature to sig: its
// name, dtype and dimensions after the first.
func appendSignature(sig []byte, name string, t *tensor.Tensor) []byte {
	sig = append(sig, name...)
	sig = append(sig, ':')
	sig = append(sig, t.DType().String()...)
	for _, d := range t.Shape()[1:] {
		sig = append(sig, ',')
		sig = strconv.AppendInt(sig, int64(d), 10)
	}
	return append(sig, ';')
}
