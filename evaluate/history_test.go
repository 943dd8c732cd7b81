package evaluate

import (
	"testing"
	"time"
)

func TestHistoryOf(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC) }
	ps := []Promotion{
		{Time: at(1), Actor: "a", Label: "production", To: "1", Promoted: true},
		{Time: at(2), Actor: "b", Label: "production", From: "1", To: "2", Gate: &GateResult{Failures: []Failure{{Check: "accuracy >= 0.9"}}}},
		{Time: at(3), Actor: "c", Label: "staging", From: "4", To: "5", Promoted: true},
		{Time: at(4), Actor: "d", Label: "production", From: "1", To: "3", Promoted: true},
	}
	h := HistoryOf(ps)
	prod, staging := h.Labels["production"], h.Labels["staging"]
	if len(prod) != 2 || prod[0].Version != "1" || !prod[0].Since.Equal(at(1)) || !prod[0].Until.Equal(at(4)) ||
		prod[1].Version != "3" || prod[1].Until != nil || prod[1].Actor != "d" {
		t.Errorf("production: %+v", prod)
	}
	// The first entry of a label names the version it pointed at before.
	if len(staging) != 2 || staging[0].Version != "4" || staging[0].Since != nil || !staging[0].Until.Equal(at(3)) || staging[1].Version != "5" {
		t.Errorf("staging: %+v", staging)
	}
	if h.Entries != 4 || len(h.Recent) != 4 || h.Recent[1].Promoted || len(h.Recent[1].Failed) != 1 || h.Recent[1].Failed[0] != "accuracy >= 0.9" {
		t.Errorf("recent: %+v", h.Recent)
	}
	if held := h.Held("1"); len(held) != 1 || len(held["production"]) != 1 {
		t.Errorf("held by 1: %+v", held)
	}
	if held := h.Held("2"); held != nil {
		t.Errorf("held by 2 (refused): %+v", held)
	}
	many := make([]Promotion, RecentEntries+5)
	if h := HistoryOf(many); h.Entries != RecentEntries+5 || len(h.Recent) != RecentEntries {
		t.Errorf("bounded: %d entries, %d recent", h.Entries, len(h.Recent))
	}
}
