// Package loadgen is the load generator behind `inferd bench`: it sends one
// prepared request (or a few, in turn) to an inference server and measures
// what the server does with it.
//
// Two ways to drive the load:
//
//   - Closed loop (Config.Rate == 0): Concurrency workers each send a
//     request, wait for the answer and send the next. A sweep over several
//     concurrencies finds the throughput knee.
//   - Open loop (Config.Rate > 0): requests are scheduled at a fixed rate,
//     whether earlier ones have been answered or not, with at most
//     Concurrency in flight. Latency is measured from each request's
//     scheduled send time, not from when it was actually sent, so a server
//     that stalls is charged for the requests it delayed (the correction for
//     coordinated omission, as in wrk2).
//
// Latencies of successful requests go into an HDR histogram (p50, p90, p99,
// p99.9, max); failures are counted by status (HTTP code, gRPC code, or
// "transport" / "timeout"). When the server reports its own queue and
// compute time (the Inferd-Timing header, or inferd-timing gRPC metadata),
// those are summarized too, so a client can tell the time a request waited
// in the batcher from the time the engine spent on it.
//
// A Target sends one request; NewTarget builds one for inferd's seed routes,
// the Open Inference Protocol over REST, or over gRPC (through api/client).
package loadgen
