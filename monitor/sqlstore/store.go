package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/inferd/inferd/monitor"
)

// dialect is what differs between the SQL databases.
type dialect struct {
	name string
	// serial is the type of the increasing record id.
	serial string
	// numbered placeholders ($1) instead of ?.
	numbered bool
	// blob is the type of binary columns.
	blob string
}

// Store is a monitor.Store in a SQL database.
type Store struct {
	db *sql.DB
	d  dialect
	// dsn is what the store was opened with (a path for SQLite).
	dsn string
}

var _ monitor.Store = (*Store)(nil)

func (s *Store) migrate(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS inferd_records (
			id ` + s.d.serial + `,
			request_id TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL,
			time_ns BIGINT NOT NULL, latency_ns BIGINT NOT NULL, client_id TEXT NOT NULL,
			headers TEXT NOT NULL, inputs ` + s.d.blob + ` NOT NULL, outputs ` + s.d.blob + ` NOT NULL,
			prediction TEXT NOT NULL, size BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS inferd_records_request ON inferd_records (model, request_id)`,
		// No index on time_ns: records arrive in time order, so the id order
		// serves retention by age; one index fewer to write per record.
		`DROP INDEX IF EXISTS inferd_records_time`,
		`CREATE TABLE IF NOT EXISTS inferd_feedback (
			model TEXT NOT NULL, request_id TEXT NOT NULL, label TEXT NOT NULL, time_ns BIGINT NOT NULL,
			PRIMARY KEY (model, request_id))`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: creating the schema: %w", s.d.name, err)
		}
	}
	return nil
}

// q rewrites ? placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Append implements monitor.Store: one transaction; PostgreSQL copies the
// rows in (COPY), SQLite inserts them appendRows at a time per statement.
func (s *Store) Append(ctx context.Context, recs []monitor.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if s.d.numbered {
		return s.copyRecords(ctx, recs)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s.d.name, err)
	}
	defer tx.Rollback()
	var full *sql.Stmt // the statement of appendRows rows, prepared once
	args := make([]any, 0, appendRows*len(recordFields))
	for start := 0; start < len(recs); start += appendRows {
		chunk := recs[start:min(start+appendRows, len(recs))]
		args = args[:0]
		for i := range chunk {
			args = appendRecordRow(args, &chunk[i])
		}
		if len(chunk) == appendRows && full == nil {
			if full, err = tx.PrepareContext(ctx, insertRecords(appendRows)); err != nil {
				return fmt.Errorf("%s: storing captured requests: %w", s.d.name, err)
			}
			defer full.Close()
		}
		if len(chunk) == appendRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertRecords(len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("%s: storing captured requests: %w", s.d.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: committing captured requests: %w", s.d.name, err)
	}
	return nil
}

// appendRows is the rows one SQLite INSERT statement writes: one statement
// per row would cost a round through database/sql per record.
const appendRows = 128

// recordFields are the stored columns of a record, in appendRecordRow's order.
var recordFields = []string{"request_id", "model", "version", "time_ns", "latency_ns", "client_id", "headers", "inputs", "outputs", "prediction", "size"}

// appendRecordRow appends the values of recordFields for r to args (no
// slice of its own per record: the writer binds thousands a second).
func appendRecordRow(args []any, r *monitor.Record) []any {
	headers := "null"
	if r.Headers != nil {
		b, _ := json.Marshal(r.Headers) // a map of strings: cannot fail
		headers = string(b)
	}
	size := len(headers) + len(r.Inputs) + len(r.Outputs)
	return append(args, r.RequestID, r.Model, int64(r.Version), r.Time.UnixNano(), int64(r.Latency), r.ClientID,
		headers, []byte(r.Inputs), []byte(r.Outputs), r.Prediction, int64(size))
}

var insertStatements sync.Map // rows → the SQLite INSERT of that many rows

// insertRecords is the SQLite statement inserting n records.
func insertRecords(n int) string {
	if q, ok := insertStatements.Load(n); ok {
		return q.(string)
	}
	row := "(?" + strings.Repeat(",?", len(recordFields)-1) + ")"
	q := "INSERT INTO inferd_records (" + strings.Join(recordFields, ", ") + ") VALUES " + row + strings.Repeat(","+row, n-1)
	insertStatements.Store(n, q)
	return q
}

const recordColumns = `r.id, r.request_id, r.model, r.version, r.time_ns, r.latency_ns, r.client_id, r.headers, r.inputs, r.outputs, r.prediction, f.label`

// Records implements monitor.Store.
func (s *Store) Records(ctx context.Context, q monitor.Query) ([]monitor.Record, error) {
	join := "LEFT JOIN"
	if q.Labeled {
		join = "JOIN"
	}
	query := `SELECT ` + recordColumns + ` FROM inferd_records r ` + join +
		` inferd_feedback f ON f.model = r.model AND f.request_id = r.request_id AND r.request_id <> '' WHERE r.id > ?`
	args := []any{q.AfterID}
	if q.Model != "" {
		query += ` AND r.model = ?`
		args = append(args, q.Model)
	}
	if q.Version != 0 {
		query += ` AND r.version = ?`
		args = append(args, q.Version)
	}
	if !q.Since.IsZero() {
		query += ` AND r.time_ns >= ?`
		args = append(args, q.Since.UnixNano())
	}
	limit := q.Limit
	if limit <= 0 || limit > monitor.MaxQueryLimit {
		limit = monitor.MaxQueryLimit
	}
	query += ` ORDER BY r.id LIMIT ` + strconv.Itoa(limit)
	return s.query(ctx, query, args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) ([]monitor.Record, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: reading captured requests: %w", s.d.name, err)
	}
	defer rows.Close()
	var out []monitor.Record
	for rows.Next() {
		var r monitor.Record
		var tns, lat int64
		var headers string
		var inputs, outputs []byte
		var label sql.NullString
		if err := rows.Scan(&r.ID, &r.RequestID, &r.Model, &r.Version, &tns, &lat, &r.ClientID,
			&headers, &inputs, &outputs, &r.Prediction, &label); err != nil {
			return nil, fmt.Errorf("%s: reading captured requests: %w", s.d.name, err)
		}
		r.Time, r.Latency = time.Unix(0, tns), time.Duration(lat)
		r.Inputs, r.Outputs = inputs, outputs
		if headers != "null" {
			if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
				return nil, fmt.Errorf("%s: record %d: headers: %w", s.d.name, r.ID, err)
			}
		}
		if label.Valid {
			r.Label = json.RawMessage(label.String)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading captured requests: %w", s.d.name, err)
	}
	return out, nil
}

// Close implements monitor.Store.
func (s *Store) Close() error { return s.db.Close() }
