package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/inferd/inferd/monitor"
)

// BenchmarkLayout measures, per record and beside Append's layout, the
// SQLite row layouts a cheaper writer could use (cpu-ns/op is the process's
// CPU per record; records as BenchmarkAppend's, without headers, as the
// server captures them by default):
//   - "store": Append itself, for comparison;
//   - "narrow": one row per request holding request_id, model, version,
//     time and a single blob of the rest (5 values bound instead of 11);
//   - "chunk+index": one row per batch holding all its records' payloads,
//     plus one (model, request_id) → record entry per request in a WITHOUT
//     ROWID table, for feedback lookups;
//   - "chunk": the batch row alone (request ids found some other way).
//
// It writes the tables itself: none of these is the store's schema.
func BenchmarkLayout(b *testing.B) {
	for _, l := range []string{"store", "narrow", "chunk+index", "chunk"} {
		b.Run(l, func(b *testing.B) {
			s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "m.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for _, q := range []string{
				`CREATE TABLE narrow (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL, time_ns BIGINT NOT NULL, body BLOB NOT NULL)`,
				`CREATE INDEX narrow_request ON narrow (model, request_id)`,
				`CREATE TABLE chunks (id INTEGER PRIMARY KEY, model TEXT NOT NULL, version INTEGER NOT NULL, n INTEGER NOT NULL, body BLOB NOT NULL)`,
				`CREATE TABLE requests (model TEXT, request_id TEXT, record BIGINT NOT NULL, PRIMARY KEY (model, request_id)) WITHOUT ROWID`,
			} {
				if _, err := s.db.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			batch := make([]monitor.Record, benchBatch)
			for i := range batch {
				batch[i] = record("digits", 1, i)
				batch[i].Headers = nil
			}
			b.ResetTimer()
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			for n := 0; n < b.N; n += len(batch) {
				var id [12]byte
				for i := range batch {
					binary.BigEndian.PutUint64(id[:], uint64(n+i))
					batch[i].RequestID = hex.EncodeToString(id[:])
				}
				if err := writeLayout(s, l, n, batch); err != nil {
					b.Fatal(err)
				}
			}
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// writeLayout writes batch (records n…) in layout l in one transaction,
// 128 rows per statement as Append does.
func writeLayout(s *Store, l string, n int, batch []monitor.Record) error {
	ctx := context.Background()
	if l == "store" {
		return s.Append(ctx, batch)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var rows [][]any
	if l == "narrow" {
		for i := range batch {
			rows = append(rows, []any{batch[i].RequestID, batch[i].Model, int64(batch[i].Version), int64(n + i), blob(&batch[i], nil)})
		}
	} else {
		var body []byte
		for i := range batch {
			body = blob(&batch[i], body)
			rows = append(rows, []any{batch[i].Model, batch[i].RequestID, int64(n + i)})
		}
		if _, err := tx.Exec(`INSERT INTO chunks (id, model, version, n, body) VALUES (?, ?, ?, ?, ?)`, n/len(batch)+1, "digits", 1, len(batch), body); err != nil {
			return err
		}
	}
	if l != "chunk" {
		table := map[string]string{"narrow": "narrow (request_id, model, version, time_ns, body)", "chunk+index": "requests (model, request_id, record)"}[l]
		if err := insertChunked(tx, table, rows); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// blob appends r's fields other than request_id, model, version and time.
func blob(r *monitor.Record, buf []byte) []byte {
	buf = binary.AppendVarint(buf, int64(r.Latency))
	for _, s := range []string{r.RequestID, r.ClientID, r.Prediction, string(r.Inputs), string(r.Outputs)} {
		buf = append(binary.AppendUvarint(buf, uint64(len(s))), s...)
	}
	return buf
}

// insertChunked inserts rows into table, 128 rows per prepared statement.
func insertChunked(tx *sql.Tx, table string, rows [][]any) error {
	row := "(?" + strings.Repeat(",?", len(rows[0])-1) + ")"
	st, err := tx.Prepare("INSERT INTO " + table + " VALUES " + row + strings.Repeat(","+row, 127))
	if err != nil {
		return err
	}
	defer st.Close()
	var args []any
	for start := 0; start < len(rows); start += 128 {
		args = args[:0]
		for _, r := range rows[start:min(start+128, len(rows))] {
			args = append(args, r...)
		}
		if _, err := st.Exec(args...); err != nil {
			return err
		}
	}
	return nil
}
