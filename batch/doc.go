// Package batch is inferd's dynamic batcher: requests to one model version
// wait in a bounded queue, are grouped along the batch dimension up to a
// maximum size or a maximum delay, run as one engine call, and the outputs
// are split back to each request.
package batch
