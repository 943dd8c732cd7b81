package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

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
	// withoutRowid ends a CREATE TABLE whose primary key is its storage.
	withoutRowid string
	// hasTable asks whether a table (the one parameter) exists.
	hasTable string
	// segCols are the segment columns of inferd_batches (SQLite: see
	// segments), or NULLs where batch bodies are all in the rows.
	segCols string
}

// Store is a monitor.Store in a SQL database.
type Store struct {
	db *sql.DB
	d  dialect
	// dsn is what the store was opened with (a path for SQLite).
	dsn string
	// seg keeps the batch bodies that Append writes (SQLite); nil keeps
	// them in the rows. insertSeg is the INSERT of a batch row whose body
	// is in a segment, prepared once.
	seg       *segments
	insertSeg *sql.Stmt
}

var _ monitor.Store = (*Store)(nil)

// schema creates the tables: inferd_batches (captured records, a row per
// batch), inferd_request_ids (the request ids that are not time-ordered,
// to find their batch) and inferd_feedback (labels by request id).
func (s *Store) schema(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS inferd_batches (
			id ` + s.d.serial + `,
			model TEXT NOT NULL, version INTEGER NOT NULL, n INTEGER NOT NULL,
			time_lo BIGINT NOT NULL, time_hi BIGINT NOT NULL, rid_lo BIGINT, rid_hi BIGINT,
			size BIGINT NOT NULL, body ` + s.d.blob + ` NOT NULL)`,
		// Feedback finds a server-made request id's batch by the time it
		// starts with: one index entry per batch, not per request.
		`CREATE INDEX IF NOT EXISTS inferd_batches_rid ON inferd_batches (model, rid_hi)`,
		`CREATE TABLE IF NOT EXISTS inferd_request_ids (
			model TEXT NOT NULL, request_id TEXT NOT NULL, record BIGINT NOT NULL,
			PRIMARY KEY (model, request_id, record))` + s.d.withoutRowid,
		`CREATE TABLE IF NOT EXISTS inferd_feedback (
			model TEXT NOT NULL, request_id TEXT NOT NULL, label TEXT NOT NULL, time_ns BIGINT NOT NULL,
			PRIMARY KEY (model, request_id))`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: creating the schema: %w", s.d.name, err)
		}
	}
	if s.seg == nil {
		return nil
	}
	if err := s.addSegmentColumns(ctx); err != nil {
		return err
	}
	var err error
	s.insertSeg, err = s.db.PrepareContext(ctx, `INSERT INTO inferd_batches (model, version, n, time_lo, time_hi, rid_lo, rid_hi, size, body,
		seg, seg_off, seg_len, seg_crc) VALUES (?,?,?,?,?,?,?,?,x'',?,?,?,?) RETURNING id`)
	if err != nil {
		return fmt.Errorf("%s: preparing the batch insert: %w", s.d.name, err)
	}
	return nil
}

// addSegmentColumns adds the segment columns to inferd_batches when it
// lacks them (a store made before segments): batch rows holding their
// body have NULLs there.
func (s *Store) addSegmentColumns(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('inferd_batches') WHERE name = 'seg'`).Scan(&n); err != nil {
		return fmt.Errorf("%s: creating the schema: %w", s.d.name, err)
	}
	if n > 0 {
		return nil
	}
	for _, c := range []string{"seg", "seg_off", "seg_len", "seg_crc"} {
		if _, err := s.db.ExecContext(ctx, `ALTER TABLE inferd_batches ADD COLUMN `+c+` INTEGER`); err != nil {
			return fmt.Errorf("%s: adding the segment columns: %w", s.d.name, err)
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

// Append implements monitor.Store: one transaction writing a batch row
// per model version (records of one version keep their order; their ids
// increase in it).
func (s *Store) Append(ctx context.Context, recs []monitor.Record) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", s.d.name, err)
	}
	defer tx.Rollback()
	if err := s.appendTx(ctx, tx, recs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: committing captured requests: %w", s.d.name, err)
	}
	return nil
}

func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, recs []monitor.Record) error {
	for _, group := range groupRecords(recs) {
		b := encodeBatch(group, false)
		id, err := s.insertBatch(ctx, tx, &b)
		if err != nil {
			return fmt.Errorf("%s: storing captured requests: %w", s.d.name, err)
		}
		if err := s.indexRequests(ctx, tx, id, &b, group); err != nil {
			return fmt.Errorf("%s: storing captured requests: %w", s.d.name, err)
		}
	}
	return nil
}

// groupRecords splits recs by model version (in order of first
// appearance, each in its order), at most maxBatchRecords a group.
func groupRecords(recs []monitor.Record) [][]monitor.Record {
	type key struct {
		model   string
		version int
	}
	first := recs[0]
	same := true
	for i := range recs {
		same = same && recs[i].Model == first.Model && recs[i].Version == first.Version
	}
	var groups [][]monitor.Record
	if same {
		groups = [][]monitor.Record{recs}
	} else {
		at := map[key]int{}
		for _, r := range recs {
			k := key{r.Model, r.Version}
			i, ok := at[k]
			if !ok {
				i = len(groups)
				at[k] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], r)
		}
	}
	var out [][]monitor.Record
	for _, g := range groups {
		for len(g) > maxBatchRecords {
			out = append(out, g[:maxBatchRecords])
			g = g[maxBatchRecords:]
		}
		out = append(out, g)
	}
	return out
}

// insertBatch inserts b; with segments, its body goes to the newest
// segment first and the row keeps where.
func (s *Store) insertBatch(ctx context.Context, tx *sql.Tx, b *batchRow) (int64, error) {
	var id int64
	if s.seg == nil {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO inferd_batches (model, version, n, time_lo, time_hi, rid_lo, rid_hi, size, body)
			VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`),
			b.model, b.version, b.n, b.timeLo, b.timeHi, b.ridLo.value(), b.ridHi.value(), b.size, b.body).Scan(&id)
		return id, err
	}
	ref, err := s.seg.append(b.body)
	if err != nil {
		return 0, err
	}
	err = tx.StmtContext(ctx, s.insertSeg).QueryRowContext(ctx,
		b.model, b.version, b.n, b.timeLo, b.timeHi, b.ridLo.value(), b.ridHi.value(), b.size,
		ref.seg, ref.off, ref.n, int64(ref.crc)).Scan(&id)
	return id, err
}

// indexRequests writes the index entries of b's request ids that are not
// time-ordered (client-chosen ones), indexRows per statement.
func (s *Store) indexRequests(ctx context.Context, tx *sql.Tx, id int64, b *batchRow, recs []monitor.Record) error {
	const indexRows = 128
	args := make([]any, 0, 3*indexRows)
	for start := 0; start < len(b.indexed); start += indexRows {
		chunk := b.indexed[start:min(start+indexRows, len(b.indexed))]
		args = args[:0]
		for _, i := range chunk {
			args = append(args, b.model, recs[i].RequestID, id<<idBits|int64(i))
		}
		q := `INSERT INTO inferd_request_ids (model, request_id, record) VALUES (?,?,?)` + strings.Repeat(",(?,?,?)", len(chunk)-1)
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// batchColumns is the select list batches scans.
func (s *Store) batchColumns() string {
	return `id, model, version, n, time_lo, time_hi, rid_lo, rid_hi, size, body, ` + s.d.segCols
}

// batchPage is the batch rows Records reads at a time.
const batchPage = 8

// Records implements monitor.Store: it reads batch rows in id order,
// batchPage at a time, and expands them until it has q.Limit records.
func (s *Store) Records(ctx context.Context, q monitor.Query) ([]monitor.Record, error) {
	limit := q.Limit
	if limit <= 0 || limit > monitor.MaxQueryLimit {
		limit = monitor.MaxQueryLimit
	}
	where := ` WHERE id >= ?`
	var filters []any
	if q.Model != "" {
		where += ` AND model = ?`
		filters = append(filters, q.Model)
	}
	if q.Version != 0 {
		where += ` AND version = ?`
		filters = append(filters, q.Version)
	}
	since := int64(math.MinInt64)
	if !q.Since.IsZero() {
		since = q.Since.UnixNano()
		where += ` AND time_hi >= ?`
		filters = append(filters, since)
	}
	query := `SELECT ` + s.batchColumns() + ` FROM inferd_batches` + where + ` ORDER BY id LIMIT ` + strconv.Itoa(batchPage)
	var out []monitor.Record
	after := max(q.AfterID, 0)
	next := after >> idBits // the first batch row to read
	for len(out) < limit {
		batches, err := s.batches(ctx, query, append([]any{next}, filters...)...)
		if err != nil || len(batches) == 0 {
			return out, err
		}
		var page []monitor.Record
		for i := range batches {
			recs, err := decodeBatch(&batches[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.d.name, err)
			}
			for _, r := range recs {
				if r.ID > after && r.Time.UnixNano() >= since {
					page = append(page, r)
				}
			}
		}
		next = batches[len(batches)-1].id + 1
		if page, err = s.joinLabels(ctx, page, q.Labeled); err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out[:limit], nil
}

// batches reads batch rows (query selects batchColumns), with their
// bodies; a row whose segment retention has deleted since is left out.
func (s *Store) batches(ctx context.Context, query string, args ...any) ([]batchRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: reading captured requests: %w", s.d.name, err)
	}
	var out []batchRow
	var refs []sql.NullInt64 // seg, off, len, crc per row
	for rows.Next() {
		var b batchRow
		var lo, hi sql.NullInt64
		var ref [4]sql.NullInt64
		if err := rows.Scan(&b.id, &b.model, &b.version, &b.n, &b.timeLo, &b.timeHi, &lo, &hi, &b.size, &b.body,
			&ref[0], &ref[1], &ref[2], &ref[3]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: reading captured requests: %w", s.d.name, err)
		}
		b.ridLo, b.ridHi = nullInt{lo.Int64, lo.Valid}, nullInt{hi.Int64, hi.Valid}
		out = append(out, b)
		refs = append(refs, ref[:]...)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: reading captured requests: %w", s.d.name, err)
	}
	kept := out[:0]
	for i, b := range out {
		if r := refs[4*i:]; r[0].Valid {
			b.body, err = s.seg.read(segRef{seg: r[0].Int64, off: r[1].Int64, n: r[2].Int64, crc: uint32(r[3].Int64)})
			if errors.Is(err, errSegmentGone) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("%s: reading captured requests: batch %d: %w", s.d.name, b.id, err)
			}
		}
		kept = append(kept, b)
	}
	return kept, nil
}

// joinLabels sets the feedback label of recs that have one; with labeled,
// it returns only those.
func (s *Store) joinLabels(ctx context.Context, recs []monitor.Record, labeled bool) ([]monitor.Record, error) {
	byModel := map[string][]any{}
	for _, r := range recs {
		if r.RequestID != "" {
			byModel[r.Model] = append(byModel[r.Model], r.RequestID)
		}
	}
	labels := map[[2]string]string{}
	for model, ids := range byModel {
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			rows, err := s.db.QueryContext(ctx, s.q(`SELECT request_id, label FROM inferd_feedback WHERE model = ? AND request_id IN (?`+
				strings.Repeat(",?", len(chunk)-1)+`)`), append([]any{model}, chunk...)...)
			if err != nil {
				return nil, fmt.Errorf("%s: reading feedback: %w", s.d.name, err)
			}
			for rows.Next() {
				var id, label string
				if err := rows.Scan(&id, &label); err != nil {
					rows.Close()
					return nil, fmt.Errorf("%s: reading feedback: %w", s.d.name, err)
				}
				labels[[2]string{model, id}] = label
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: reading feedback: %w", s.d.name, err)
			}
		}
	}
	out := recs[:0]
	for _, r := range recs {
		if l, ok := labels[[2]string{r.Model, r.RequestID}]; ok && r.RequestID != "" {
			r.Label = json.RawMessage(l)
		} else if labeled {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Close implements monitor.Store.
func (s *Store) Close() error {
	var err error
	if s.insertSeg != nil {
		err = s.insertSeg.Close()
	}
	err = errors.Join(err, s.db.Close())
	if s.seg != nil {
		s.seg.mu.Lock()
		err = errors.Join(err, s.seg.close())
		s.seg.mu.Unlock()
	}
	return err
}
