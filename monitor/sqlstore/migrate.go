package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/inferd/inferd/monitor"
)

// legacyRecords is the table of the first schema: a row per record.
const legacyRecords = "inferd_records"

// migrate moves the rows of a store of the first schema (a row per
// record in inferd_records) into batch rows, migrateRows at a time, each
// move one transaction (its rows deleted from the old table and written
// as a batch row), then drops the old table. A store killed half way
// resumes where it was when it opens again; feedback is unchanged.
func (s *Store) migrate(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(s.d.hasTable), legacyRecords).Scan(&n); err != nil {
		return fmt.Errorf("%s: looking for the old schema: %w", s.d.name, err)
	}
	if n == 0 {
		return nil
	}
	for {
		moved, err := s.migrateSome(ctx)
		if err != nil {
			return fmt.Errorf("%s: migrating captured requests: %w", s.d.name, err)
		}
		if moved == 0 {
			break
		}
	}
	if _, err := s.db.ExecContext(ctx, `DROP TABLE IF EXISTS `+legacyRecords); err != nil {
		return fmt.Errorf("%s: migrating captured requests: %w", s.d.name, err)
	}
	return nil
}

// migrateRows is the old rows one migration transaction moves.
const migrateRows = 1024

// migrateSome moves the oldest migrateRows old rows and returns how many
// it moved. The rows are taken by DELETE … RETURNING, so that two
// replicas migrating one PostgreSQL database at once move each row once.
func (s *Store) migrateSome(ctx context.Context) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE id IN (SELECT id FROM %[1]s ORDER BY id LIMIT %[2]d)
		RETURNING id, request_id, model, version, time_ns, latency_ns, client_id, headers, inputs, outputs, prediction`, legacyRecords, migrateRows))
	if err != nil {
		return 0, err
	}
	recs, err := scanLegacy(rows)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	slices.SortFunc(recs, func(a, b monitor.Record) int { return cmp.Compare(a.ID, b.ID) })
	for i := range recs {
		recs[i].ID = 0
	}
	if err := s.appendTx(ctx, tx, recs); err != nil {
		return 0, err
	}
	return len(recs), tx.Commit()
}

func scanLegacy(rows *sql.Rows) ([]monitor.Record, error) {
	defer rows.Close()
	var out []monitor.Record
	for rows.Next() {
		var r monitor.Record
		var tns, lat int64
		var headers string
		var inputs, outputs []byte
		if err := rows.Scan(&r.ID, &r.RequestID, &r.Model, &r.Version, &tns, &lat, &r.ClientID,
			&headers, &inputs, &outputs, &r.Prediction); err != nil {
			return nil, err
		}
		r.Time, r.Latency = time.Unix(0, tns), time.Duration(lat)
		r.Inputs, r.Outputs = inputs, outputs
		if headers != "null" {
			if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
				return nil, fmt.Errorf("record %d: headers: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
