package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/inferd/inferd/monitor"
)

func TestAppendAndRecords(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			var recs []monitor.Record
			for i := range 150 { // more than one INSERT chunk
				recs = append(recs, record("digits", 1+i%2, i))
			}
			if err := s.Append(ctx, recs); err != nil {
				t.Fatal(err)
			}
			all, err := s.Records(ctx, monitor.Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 150 {
				t.Fatalf("got %d records, want 150", len(all))
			}
			// A batch row per version: version 1's records (even i) come
			// first, each version's in the order appended.
			for k, r := range all {
				i := 2 * k
				if k >= 75 {
					i = 2*(k-75) + 1
				}
				checkRecord(t, r, "digits", 1+i%2, i)
			}
			tests := []struct {
				name string
				q    monitor.Query
				want int
			}{
				{"version", monitor.Query{Model: "digits", Version: 2}, 75},
				{"other model", monitor.Query{Model: "iris"}, 0},
				{"after id", monitor.Query{AfterID: all[99].ID}, 50},
				{"limit", monitor.Query{Limit: 7}, 7},
				{"since", monitor.Query{Since: time.Unix(1_700_000_000+140, 0)}, 10},
				{"labeled", monitor.Query{Labeled: true}, 0},
			}
			for _, tt := range tests {
				got, err := s.Records(ctx, tt.q)
				if err != nil || len(got) != tt.want {
					t.Errorf("%s: got %d records (%v), want %d", tt.name, len(got), err, tt.want)
				}
			}
		})
	}
}

// TestFeedbackAcrossReplicas stores a request through one store and its
// label through another on the same database (two replicas).
func TestFeedbackAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			a, c := b.open(t), b.open(t)
			if err := a.Append(ctx, []monitor.Record{record("digits", 1, 1), record("digits", 1, 2), record("iris", 1, 3)}); err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			got, err := c.AddFeedback(ctx, []monitor.Feedback{
				{Model: "digits", RequestID: "req-1", Label: json.RawMessage(`3`), Time: now},
				{Model: "digits", RequestID: "req-3", Label: json.RawMessage(`4`), Time: now}, // another model's request
				{Model: "digits", RequestID: "req-9", Label: json.RawMessage(`5`), Time: now}, // not captured
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].RequestID != "req-1" || string(got[0].Label) != "3" {
				t.Fatalf("joined %+v, want req-1 with label 3", got)
			}
			// A second label for the same request replaces the first.
			if got, err = a.AddFeedback(ctx, []monitor.Feedback{{Model: "digits", RequestID: "req-1", Label: json.RawMessage(`"seven"`), Time: now}}); err != nil || len(got) != 1 {
				t.Fatalf("relabel: %v %+v", err, got)
			}
			labeled, err := a.Records(ctx, monitor.Query{Labeled: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(labeled) != 1 || string(labeled[0].Label) != `"seven"` {
				t.Fatalf("labeled records %+v, want req-1 labelled \"seven\"", labeled)
			}
			// The label of a request captured later joins it then.
			if err := c.Append(ctx, []monitor.Record{record("digits", 2, 9)}); err != nil {
				t.Fatal(err)
			}
			if labeled, _ = a.Records(ctx, monitor.Query{Labeled: true}); len(labeled) != 2 || string(labeled[1].Label) != "5" {
				t.Fatalf("after the late record: %+v", labeled)
			}
		})
	}
}

func TestRetain(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			old := record("m", 1, 0)
			old.Time = time.Now().Add(-48 * time.Hour)
			recs := []monitor.Record{old}
			for i := 1; i <= 20; i++ {
				r := record("m", 1, i)
				r.Time = time.Now()
				recs = append(recs, r)
			}
			if err := s.Append(ctx, recs); err != nil {
				t.Fatal(err)
			}
			n, err := s.Retain(ctx, monitor.Retention{MaxAge: 24 * time.Hour})
			if err != nil || n != 1 {
				t.Fatalf("retain by age deleted %d (%v), want 1", n, err)
			}
			all, _ := s.Records(ctx, monitor.Query{})
			size := 0
			for _, r := range all[10:] {
				h, _ := json.Marshal(r.Headers)
				size += len(h) + len(r.Inputs) + len(r.Outputs)
			}
			if n, err = s.Retain(ctx, monitor.Retention{MaxBytes: int64(size)}); err != nil || n != 10 {
				t.Fatalf("retain by size deleted %d (%v), want 10", n, err)
			}
			left, _ := s.Records(ctx, monitor.Query{})
			if len(left) != 10 || left[0].RequestID != "req-11" {
				t.Fatalf("kept %d records from %v, want the newest 10", len(left), left[0].RequestID)
			}
			if n, err = s.Retain(ctx, monitor.Retention{MaxBytes: int64(size)}); err != nil || n != 0 {
				t.Fatalf("retain again deleted %d (%v), want 0", n, err)
			}
		})
	}
}

// TestFeedbackByRequestTime joins labels to records whose request ids are
// the server's own (found by the time they start with, no index entry),
// one whose time is far from its record's (indexed), across batch rows.
func TestFeedbackByRequestTime(t *testing.T) {
	ctx := context.Background()
	serverID := func(ms int64, rnd uint16) string { return fmt.Sprintf("%012x%012x", ms, rnd) }
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			var ids []string
			for batch := range 3 {
				var recs []monitor.Record
				for i := range 10 {
					r := record("digits", 1, 10*batch+i)
					ms := r.Time.UnixMilli()
					if i == 9 {
						ms -= 48 * 3600 * 1000 // far from the record's time
					}
					r.RequestID = serverID(ms, uint16(i))
					ids = append(ids, r.RequestID)
					recs = append(recs, r)
				}
				if err := s.Append(ctx, recs); err != nil {
					t.Fatal(err)
				}
			}
			var indexed int
			if err := s.db.QueryRow(`SELECT COUNT(*) FROM inferd_request_ids`).Scan(&indexed); err != nil || indexed != 3 {
				t.Fatalf("%d index entries (%v), want 3: only the ids far from their time", indexed, err)
			}
			now := time.Now()
			var fb []monitor.Feedback
			for _, k := range []int{3, 9, 15, 29} {
				fb = append(fb, monitor.Feedback{Model: "digits", RequestID: ids[k], Label: json.RawMessage(strconv.Itoa(k)), Time: now})
			}
			fb = append(fb, monitor.Feedback{Model: "digits", RequestID: serverID(time.Unix(1_700_000_005, 0).UnixMilli(), 77), Label: json.RawMessage(`0`), Time: now})
			got, err := s.AddFeedback(ctx, fb)
			if err != nil || len(got) != 4 {
				t.Fatalf("joined %d records (%v), want 4", len(got), err)
			}
			for j, k := range []int{3, 9, 15, 29} {
				if got[j].RequestID != ids[k] || string(got[j].Label) != strconv.Itoa(k) {
					t.Errorf("joined %d: %s label %s, want %s label %d", j, got[j].RequestID, got[j].Label, ids[k], k)
				}
			}
		})
	}
}
