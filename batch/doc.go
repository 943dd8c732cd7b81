// Package batch is inferd's dynamic batcher: requests to one model version
// wait in a bounded queue, are grouped along the batch dimension up to a
// maximum size or a maximum delay, run as one engine call, and the outputs
// are split back to each request.
//
// The batcher has no goroutines: the request that finds an instance free
// leads, forming and running batches on its own goroutine until its own
// request is answered, then hands the instance to the oldest waiting
// request. An idle batcher thus runs a request at once, with no hand-over
// to another goroutine, and a busy server never waits for a worker
// goroutine to be scheduled among hundreds of request goroutines.
//
// A batch waits for companions only when waiting is predicted to pay: when
// the fixed costs the companions expected in a short wait (about the
// learned mean gap between requests, at most a one-row call's time, or
// one fixed cost when requests come faster than that) would save outweigh
// what the queue costs each request (adaptive.go); only while not waiting
// is not measured to pay better, epoch by epoch (policy.go); and
// never when no companion can come (every request in flight, by
// Config.InFlight, already in the batcher, at least as many as usually
// are, and no call running). A batch that waits fills: up to
// MaxQueueDelay, until it is full or no companion can come.
// An Observer that is also a PolicyObserver receives the wait policy's
// state at each epoch (for the inferd_batch_waiting and
// inferd_batch_wait_gain metrics).
// A request that finds an instance free, the queue empty and no reason to
// wait runs at once without entering the queue (alone.go). Queued requests
// reuse pooled records (record.go).
package batch
