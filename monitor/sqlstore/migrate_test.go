package sqlstore

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/inferd/inferd/monitor"
)

// legacySchema is the first schema's records table, as a store of that
// schema left it.
func legacySchema(s *Store) string {
	return `CREATE TABLE inferd_records (id ` + s.d.serial + `,
		request_id TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL,
		time_ns BIGINT NOT NULL, latency_ns BIGINT NOT NULL, client_id TEXT NOT NULL,
		headers TEXT NOT NULL, inputs ` + s.d.blob + ` NOT NULL, outputs ` + s.d.blob + ` NOT NULL,
		prediction TEXT NOT NULL, size BIGINT NOT NULL)`
}

// TestMigrateFromRowPerRecord writes records and a label the way the
// first schema did, opens the store again and finds them all, labelled,
// in batch rows; the old table is gone and feedback still joins.
func TestMigrateFromRowPerRecord(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			if _, err := s.db.Exec(legacySchema(s)); err != nil {
				t.Fatal(err)
			}
			const n = migrateRows + 300 // more than one migration step
			for i := range n {
				r := record("digits", 1+i/1000, i)
				h, _ := json.Marshal(r.Headers)
				_, err := s.db.Exec(s.q(`INSERT INTO inferd_records (request_id, model, version, time_ns, latency_ns, client_id, headers, inputs, outputs, prediction, size)
					VALUES (?,?,?,?,?,?,?,?,?,?,?)`), r.RequestID, r.Model, r.Version, r.Time.UnixNano(), int64(r.Latency), r.ClientID,
					string(h), []byte(r.Inputs), []byte(r.Outputs), r.Prediction, 0)
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.AddFeedback(ctx, []monitor.Feedback{{Model: "digits", RequestID: "req-7", Label: json.RawMessage(`7`), Time: time.Now()}}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = b.open(t) // migrates
			var left int
			if err := s.db.QueryRow(s.q(s.d.hasTable), legacyRecords).Scan(&left); err != nil || left != 0 {
				t.Fatalf("the old table is still there (%d, %v)", left, err)
			}
			all, err := s.Records(ctx, monitor.Query{})
			if err != nil || len(all) != n {
				t.Fatalf("%d records after the migration (%v), want %d", len(all), err, n)
			}
			for i, r := range all {
				checkRecord(t, r, "digits", 1+i/1000, i)
			}
			if string(all[7].Label) != "7" {
				t.Fatalf("record 7's label %q, want 7", all[7].Label)
			}
			got, err := s.AddFeedback(ctx, []monitor.Feedback{{Model: "digits", RequestID: "req-1200", Label: json.RawMessage(`1`), Time: time.Now()}})
			if err != nil || len(got) != 1 || got[0].Version != 2 {
				t.Fatalf("feedback after the migration joined %+v (%v)", got, err)
			}
		})
	}
}
