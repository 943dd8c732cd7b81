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
// A batch waits for companions (up to MaxQueueDelay) only when waiting is
// predicted to pay: for about the learned mean gap between requests, at
// most a one-row call's time (or one fixed cost when requests come faster
// than that), and only when the fixed costs the companions expected in
// that time would save outweigh what the queue costs each request
// (adaptive.go); only while waiting is measured to pay, epoch by epoch
// against not waiting (policy.go); and never when no companion can come
// (Config.InFlight).
// An Observer that is also a PolicyObserver receives the wait policy's
// state at each epoch (for the inferd_batch_waiting and
// inferd_batch_wait_gain metrics).
// A request that finds an instance free, the queue empty and no reason to
// wait runs at once without entering the queue (alone.go). Queued requests
// reuse pooled records (record.go).
package batch
