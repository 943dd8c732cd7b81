package sqlstore

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/inferd/inferd/monitor"
)

// benchBatch is the records one Append writes (the writer's DefaultBatchSize).
var benchBatch = 1024

// BenchmarkAppend writes batches of 256 digits-sized records to SQLite;
// ns/op is per record.
func BenchmarkAppend(b *testing.B) {
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "m.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := make([]monitor.Record, benchBatch)
	for i := range batch {
		batch[i] = record("digits", 1, i)
	}
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for i := 0; i < b.N; i += len(batch) {
		if err := s.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}
