// Package monitor watches a model in production: it captures sampled
// requests and answers (a runner wrapper, asynchronous behind a bounded
// queue), stores them (Store; SQLite and PostgreSQL in monitor/sqlstore),
// joins ground-truth labels sent back as feedback and keeps live accuracy
// per model, version and window.
//
// The request path only ever clones the sampled tensors and offers them
// to a queue; encoding and writing happen on the writer goroutine. When
// the queue is full the record is dropped and counted.
package monitor
