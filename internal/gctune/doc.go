// Package gctune sizes the garbage collector's heap goal for a server whose
// live heap is small.
//
// Go's collector starts a cycle whenever the heap has grown by GOGC percent
// (100 by default) over what the last cycle left live. An inference server
// serving small models keeps a few megabytes live and allocates tens of
// kilobytes per request (decoded images, request bodies, tensors), so with
// the default it collects every few hundred requests: under load the
// collector, the write barriers it turns on and the goroutine stacks it
// shrinks (and that then grow again) take a quarter of the CPU.
//
// Tune gives the collector a fixed allowance instead: the heap may grow by
// max(live, headroom) before a cycle starts, so a small server collects
// rarely and a large one (whose live heap exceeds the headroom, e.g. big
// model weights) behaves exactly as with GOGC=100. Memory stays bounded by
// live + max(live, headroom), and a GOMEMLIMIT still caps it. An explicit
// GOGC in the environment wins: Tune then changes nothing.
package gctune
