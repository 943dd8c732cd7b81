package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
	byModel := map[string][]string{}
	for _, f := range fb {
		byModel[f.Model] = append(byModel[f.Model], f.RequestID)
	}
	var out []monitor.Record
	for model, ids := range byModel {
		recs, err := s.find(ctx, model, ids)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	slices.SortFunc(out, func(a, b monitor.Record) int { return cmp.Compare(a.ID, b.ID) })
	return s.joinLabels(ctx, out, true)
}

// find returns model's records with the request ids ids: it reads the
// batch rows whose request-id times cover a time-ordered id's time, and
// those the index of other ids names.
func (s *Store) find(ctx context.Context, model string, ids []string) ([]monitor.Record, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = id != "" // a record without a request id joins nothing
	}
	batchIDs, err := s.batchesByTime(ctx, model, ids)
	if err != nil {
		return nil, err
	}
	indexed, err := s.batchesByIndex(ctx, model, ids)
	if err != nil {
		return nil, err
	}
	for id := range indexed {
		batchIDs[id] = true
	}
	keys := make([]any, 0, len(batchIDs))
	for id := range batchIDs {
		keys = append(keys, id)
	}
	var out []monitor.Record
	for start := 0; start < len(keys); start += batchPage {
		chunk := keys[start:min(start+batchPage, len(keys))]
		batches, err := s.batches(ctx, `SELECT `+s.batchColumns()+` FROM inferd_batches WHERE id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		for i := range batches {
			recs, err := decodeBatch(&batches[i])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.d.name, err)
			}
			for _, r := range recs {
				if want[r.RequestID] {
					out = append(out, r)
				}
			}
		}
	}
	return out, nil
}

// batchesByTime returns the ids of model's batch rows whose request-id
// time span covers the time of a time-ordered id in ids: one read of the
// spans (no payloads) between the earliest and the latest of those times.
func (s *Store) batchesByTime(ctx context.Context, model string, ids []string) (map[int64]bool, error) {
	var times []int64
	for _, id := range ids {
		if ms, ok := requestTime(id); ok {
			times = append(times, ms)
		}
	}
	found := map[int64]bool{}
	if len(times) == 0 {
		return found, nil
	}
	slices.Sort(times)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, rid_lo, rid_hi FROM inferd_batches WHERE model = ? AND rid_hi >= ? AND rid_lo <= ?`),
		model, times[0], times[len(times)-1])
	if err != nil {
		return nil, fmt.Errorf("%s: finding captured requests: %w", s.d.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, lo, hi int64
		if err := rows.Scan(&id, &lo, &hi); err != nil {
			return nil, fmt.Errorf("%s: finding captured requests: %w", s.d.name, err)
		}
		if i, _ := slices.BinarySearch(times, lo); i < len(times) && times[i] <= hi {
			found[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: finding captured requests: %w", s.d.name, err)
	}
	return found, nil
}

// batchesByIndex returns the ids of model's batch rows that the request-id
// index names for ids.
func (s *Store) batchesByIndex(ctx context.Context, model string, ids []string) (map[int64]bool, error) {
	found := map[int64]bool{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{model}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT record FROM inferd_request_ids WHERE model = ? AND request_id IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("%s: finding captured requests: %w", s.d.name, err)
		}
		for rows.Next() {
			var rec int64
			if err := rows.Scan(&rec); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s: finding captured requests: %w", s.d.name, err)
			}
			found[rec>>idBits] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: finding captured requests: %w", s.d.name, err)
		}
	}
	return found, nil
}
