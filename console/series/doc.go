// Package series keeps the console's metrics: per model version (and per
// pipeline step) a ring of one hour of 10-second buckets, each with the
// requests, the errors, a latency histogram (for p50 and p99), and
// batch-size, queue-time and shadow-agreement counts. It is fed from the
// same observation points as the Prometheus metrics (the server's
// request metrics, the batcher's observer, the shadow, the pipeline
// steps), so the console needs no Prometheus server and does not parse
// /metrics. It imports nothing of inferd, so every layer can feed it.
//
// A bucket is allocated on a version's first observation in its 10
// seconds, so an idle version costs a few kilobytes and a busy one about
// 120 KB. Every method of a nil *Store or *Series does nothing.
package series
