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
// go first, then the oldest records until the payload fits MaxBytes.
func (s *Store) Retain(ctx context.Context, p monitor.Retention) (int64, error) {
	var deleted int64
	if p.MaxAge > 0 {
		cut := time.Now().Add(-p.MaxAge).UnixNano()
		// Records are written in time order (up to a writer's batch), so the
		// old ones are the first ids: they are found walking the ids, and
		// deleted as a range.
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inferd_records WHERE id < COALESCE(
			(SELECT id FROM inferd_records WHERE time_ns >= ? ORDER BY id LIMIT 1), (SELECT MAX(id) + 1 FROM inferd_records))`), cut)
		if err != nil {
			return 0, fmt.Errorf("%s: retention by age: %w", s.d.name, err)
		}
		deleted, _ = res.RowsAffected()
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inferd_feedback WHERE time_ns < ?`), cut); err != nil {
			return deleted, fmt.Errorf("%s: retention by age: %w", s.d.name, err)
		}
	}
	if p.MaxBytes <= 0 {
		return deleted, nil
	}
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM inferd_records`).Scan(&total); err != nil {
		return deleted, fmt.Errorf("%s: retention by size: %w", s.d.name, err)
	}
	if total <= p.MaxBytes {
		return deleted, nil
	}
	var cutoff int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM (SELECT id, SUM(size) OVER (ORDER BY id) AS cum FROM inferd_records) t
		WHERE cum >= ? ORDER BY id LIMIT 1`), total-p.MaxBytes).Scan(&cutoff)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return deleted, fmt.Errorf("%s: retention by size: %w", s.d.name, err)
	}
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM inferd_records WHERE id <= ?`), cutoff)
	if err != nil {
		return deleted, fmt.Errorf("%s: retention by size: %w", s.d.name, err)
	}
	n, _ := res.RowsAffected()
	return deleted + n, nil
}
