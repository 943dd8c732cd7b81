package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/inferd/inferd/monitor"
)

// Retain implements monitor.Store: records (and labels) older than MaxAge
// go first, then the oldest records until the payload fits MaxBytes. Whole
// batch rows are deleted; a batch row holding records on both sides of
// the line is rewritten without the ones that go (the others keep their
// ids).
func (s *Store) Retain(ctx context.Context, p monitor.Retention) (int64, error) {
	var deleted int64
	if p.MaxAge > 0 {
		n, err := s.retainAge(ctx, time.Now().Add(-p.MaxAge).UnixNano())
		if err != nil {
			return 0, fmt.Errorf("%s: retention by age: %w", s.d.name, err)
		}
		deleted = n
	}
	if p.MaxBytes > 0 {
		n, err := s.retainSize(ctx, p.MaxBytes)
		if err != nil {
			return deleted, fmt.Errorf("%s: retention by size: %w", s.d.name, err)
		}
		deleted += n
	}
	if deleted > 0 {
		// Index entries below the oldest batch row left point at nothing.
		if _, err := s.db.ExecContext(ctx, `DELETE FROM inferd_request_ids WHERE record < (SELECT COALESCE(MIN(id), 0) FROM inferd_batches) * 65536`); err != nil {
			return deleted, fmt.Errorf("%s: retention: %w", s.d.name, err)
		}
		if err := s.pruneSegments(ctx); err != nil {
			return deleted, fmt.Errorf("%s: retention: deleting segments: %w", s.d.name, err)
		}
	}
	return deleted, nil
}

func (s *Store) retainAge(ctx context.Context, cut int64) (int64, error) {
	deleted, err := s.deleteBatches(ctx, `time_hi < ?`, cut)
	if err != nil {
		return 0, err
	}
	partial, err := s.batches(ctx, `SELECT `+s.batchColumns()+` FROM inferd_batches WHERE time_lo < ?`, cut)
	if err != nil {
		return deleted, err
	}
	for i := range partial {
		n, err := s.trim(ctx, &partial[i], func(r *monitor.Record, _ int64) bool { return r.Time.UnixNano() >= cut })
		if err != nil {
			return deleted, err
		}
		deleted += n
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inferd_feedback WHERE time_ns < ?`), cut); err != nil {
		return deleted, err
	}
	return deleted, nil
}

// retainSize deletes the shortest run of oldest records whose payload is
// at least the excess over maxBytes.
func (s *Store) retainSize(ctx context.Context, maxBytes int64) (int64, error) {
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM inferd_batches`).Scan(&total); err != nil {
		return 0, err
	}
	excess := total - maxBytes
	if excess <= 0 {
		return 0, nil
	}
	var cutoff, cum int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, cum FROM (SELECT id, SUM(size) OVER (ORDER BY id) AS cum FROM inferd_batches) t
		WHERE cum >= ? ORDER BY id LIMIT 1`), excess).Scan(&cutoff, &cum)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	deleted, err := s.deleteBatches(ctx, `id < ?`, cutoff)
	if err != nil {
		return 0, err
	}
	last, err := s.batches(ctx, `SELECT `+s.batchColumns()+` FROM inferd_batches WHERE id = ?`, cutoff)
	if err != nil || len(last) == 0 {
		return deleted, err
	}
	// The bytes still to free, from the oldest records of the cutoff row.
	free := excess - (cum - last[0].size)
	n, err := s.trim(ctx, &last[0], func(_ *monitor.Record, size int64) bool {
		free -= size
		return free+size <= 0
	})
	return deleted + n, err
}

// deleteBatches deletes the batch rows where cond holds and returns the
// records they held.
func (s *Store) deleteBatches(ctx context.Context, cond string, arg any) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(n), 0) FROM inferd_batches WHERE `+cond), arg).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inferd_batches WHERE `+cond), arg)
	if err != nil {
		return 0, err
	}
	if rows, _ := res.RowsAffected(); rows == 0 {
		return 0, nil // another replica was first
	}
	return n, nil
}

// trim rewrites batch row b with the records keep keeps (called in index
// order with each record's payload size), deleting it when none is left;
// it returns how many it dropped.
func (s *Store) trim(ctx context.Context, b *batchRow, keep func(r *monitor.Record, size int64) bool) (int64, error) {
	recs, err := decodeBatch(b)
	if err != nil {
		return 0, err
	}
	kept := recs[:0]
	for i := range recs {
		h := 0
		if recs[i].Headers != nil {
			h = len(mustJSON(recs[i].Headers))
		}
		if keep(&recs[i], recordSize(h, &recs[i])) {
			kept = append(kept, recs[i])
		}
	}
	dropped := int64(len(recs) - len(kept))
	if dropped == 0 {
		return 0, nil
	}
	if len(kept) == 0 {
		_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inferd_batches WHERE id = ?`), b.id)
		return dropped, err
	}
	// The rewritten body goes into the row (a segment is append-only; the
	// old body there goes with its segment).
	nb := encodeBatch(kept, true)
	set := `n = ?, time_lo = ?, time_hi = ?, rid_lo = ?, rid_hi = ?, size = ?, body = ?`
	if s.seg != nil {
		set += `, seg = NULL, seg_off = NULL, seg_len = NULL, seg_crc = NULL`
	}
	_, err = s.db.ExecContext(ctx, s.q(`UPDATE inferd_batches SET `+set+` WHERE id = ?`),
		nb.n, nb.timeLo, nb.timeHi, nb.ridLo.value(), nb.ridHi.value(), nb.size, nb.body, b.id)
	return dropped, err
}
