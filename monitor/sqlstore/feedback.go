package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/inferd/inferd/monitor"
)

// AddFeedback implements monitor.Store: the labels are upserted in one
// transaction, then the records they join are read back.
func (s *Store) AddFeedback(ctx context.Context, fb []monitor.Feedback) ([]monitor.Record, error) {
	if len(fb) == 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.d.name, err)
	}
	defer tx.Rollback()
	upsert := s.q(`INSERT INTO inferd_feedback (model, request_id, label, time_ns) VALUES (?,?,?,?)
		ON CONFLICT (model, request_id) DO UPDATE SET label = excluded.label, time_ns = excluded.time_ns`)
	for _, f := range fb {
		if _, err := tx.ExecContext(ctx, upsert, f.Model, f.RequestID, string(f.Label), f.Time.UnixNano()); err != nil {
			return nil, fmt.Errorf("%s: storing feedback: %w", s.d.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: committing feedback: %w", s.d.name, err)
	}
	var out []monitor.Record
	byModel := map[string][]any{}
	for _, f := range fb {
		byModel[f.Model] = append(byModel[f.Model], f.RequestID)
	}
	for model, ids := range byModel {
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			query := `SELECT ` + recordColumns + ` FROM inferd_records r JOIN inferd_feedback f
				ON f.model = r.model AND f.request_id = r.request_id
				WHERE r.model = ? AND r.request_id IN (?` + strings.Repeat(",?", len(chunk)-1) + `) ORDER BY r.id`
			recs, err := s.query(ctx, query, append([]any{model}, chunk...)...)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
	}
	return out, nil
}
