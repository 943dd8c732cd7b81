package sqlstore

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/tensor"
)

// benchBatch is the records one Append writes (the writer's DefaultBatchSize).
var benchBatch = 1024

// BenchmarkAppend writes batches of benchBatch records to SQLite; ns/op
// and cpu-ns/op (the process's user and system time) are per record.
// "ordered" request ids are the server's own (the time in ms first),
// found by time without an index entry; "random" ones, as a client may
// choose them, each get an entry in the request-id index. "digits" are
// records as the server captures the digits CNN (a PNG as sent, ten
// scores, ordered ids, no headers); the others are record's.
func BenchmarkAppend(b *testing.B) {
	png, err := os.ReadFile("../../examples/digits/images/0_0.png")
	if err != nil {
		b.Fatal(err)
	}
	digit := monitor.Record{Model: "digits", Version: 1, Prediction: "0",
		Inputs:  monitor.EncodePayload(map[string]*tensor.Tensor{"image": tensor.MustFromSlice([]string{string(png)}, 1)}, nil),
		Outputs: monitor.EncodePayload(map[string]*tensor.Tensor{"scores": tensor.New(tensor.Float32, 1, 10)}, nil)}
	for _, kind := range []string{"ordered", "random", "digits"} {
		ordered := kind != "random"
		b.Run(kind, func(b *testing.B) {
			s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "m.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			batch := make([]monitor.Record, benchBatch)
			for i := range batch {
				batch[i] = record("digits", 1, i)
				if kind == "digits" {
					batch[i] = digit
				}
			}
			b.ResetTimer()
			cpu0 := testutil.ProcessCPU()
			var id [12]byte
			for n := 0; n < b.N; n += len(batch) {
				for i := range batch {
					batch[i].Time = time.Unix(1_700_000_000, int64(n+i)*1000)
					if ordered { // the server's: the time in ms, then random bits
						binary.BigEndian.PutUint64(id[:8], uint64(batch[i].Time.UnixMilli())<<16|uint64(rand.Uint32()>>16))
						binary.BigEndian.PutUint32(id[8:], rand.Uint32())
					} else {
						binary.BigEndian.PutUint64(id[:], rand.Uint64())
					}
					batch[i].RequestID = hex.EncodeToString(id[:])
				}
				if err := s.Append(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
			}
			cpu := (testutil.ProcessCPU() - cpu0).Nanoseconds()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
