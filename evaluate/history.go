package evaluate

import "time"

// History is what a model's promotion record says, as the server's model
// status shows it: which version each label pointed at when, and the
// latest entries, refusals included.
type History struct {
	// Labels are each label's periods, oldest first: the version it
	// pointed at from one promotion until the next.
	Labels map[string][]LabelPeriod `json:"labels,omitempty"`
	// Recent are the last entries of the record (at most RecentEntries),
	// oldest first; Entries counts them all.
	Recent  []Entry `json:"recent"`
	Entries int     `json:"entries"`
}

// LabelPeriod is a time during which a label pointed at a version.
type LabelPeriod struct {
	Version string `json:"version"`
	// Since is the promotion that moved the label here (nil: before the
	// record began, for the version the first promotion moved it from).
	Since *time.Time `json:"since,omitempty"`
	// Until is when the next promotion moved the label (nil: it still
	// points here, as far as the record knows).
	Until *time.Time `json:"until,omitempty"`
	Actor string     `json:"actor,omitempty"`
}

// Entry is one promotion or refusal, without its metrics.
type Entry struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor,omitempty"`
	Label    string    `json:"label"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to"`
	Promoted bool      `json:"promoted"`
	Reason   string    `json:"reason,omitempty"`
	// Failed are the gate's failed checks.
	Failed []string `json:"failed,omitempty"`
}

// RecentEntries bounds History.Recent.
const RecentEntries = 20

// HistoryOf summarises a promotion record (oldest first).
func HistoryOf(ps []Promotion) *History {
	h := &History{Entries: len(ps), Recent: []Entry{}}
	for _, p := range ps {
		if !p.Promoted {
			continue
		}
		if h.Labels == nil {
			h.Labels = map[string][]LabelPeriod{}
		}
		periods := h.Labels[p.Label]
		at := p.Time
		if len(periods) == 0 && p.From != "" {
			periods = append(periods, LabelPeriod{Version: p.From})
		}
		if n := len(periods); n > 0 {
			periods[n-1].Until = &at
		}
		h.Labels[p.Label] = append(periods, LabelPeriod{Version: p.To, Since: &at, Actor: p.Actor})
	}
	for _, p := range ps[max(0, len(ps)-RecentEntries):] {
		e := Entry{Time: p.Time, Actor: p.Actor, Label: p.Label, From: p.From, To: p.To, Promoted: p.Promoted, Reason: p.Reason}
		if p.Gate != nil {
			for _, f := range p.Gate.Failures {
				e.Failed = append(e.Failed, f.Check)
			}
		}
		h.Recent = append(h.Recent, e)
	}
	return h
}

// Held are the periods in which version held a label, by label.
func (h *History) Held(version string) map[string][]LabelPeriod {
	var out map[string][]LabelPeriod
	for label, periods := range h.Labels {
		for _, p := range periods {
			if p.Version != version {
				continue
			}
			if out == nil {
				out = map[string][]LabelPeriod{}
			}
			out[label] = append(out[label], p)
		}
	}
	return out
}
