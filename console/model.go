package console

import (
	"context"
	"time"

	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/serving"
)

// maxPromotions bounds the promotion entries a model page shows (the
// latest ones).
const maxPromotions = 50

// ModelPage is everything the console shows of one model.
type ModelPage struct {
	ModelSummary
	Platform string        `json:"platform"`
	History  []VersionInfo `json:"history"`
	// Accuracy is the live accuracy from feedback, by version and window
	// (nil when capture is off).
	Accuracy map[string]map[string]monitor.WindowStatus `json:"accuracy"`
	// Evaluation is the latest promotion decision with its metrics and
	// gate (the evaluation report that decided it), nil without one.
	Evaluation *evaluate.Promotion  `json:"evaluation"`
	Promotions []evaluate.Promotion `json:"promotions"`
	// PromotionsError says why the record could not be read.
	PromotionsError string `json:"promotions_error,omitempty"`
}

// VersionInfo is one version's history, its last hour and its drift.
type VersionInfo struct {
	Number       int       `json:"number"`
	State        string    `json:"state"`
	Error        string    `json:"error,omitempty"`
	Engine       string    `json:"engine,omitempty"`
	SHA256       string    `json:"sha256,omitempty"`
	SizeBytes    int64     `json:"size_bytes,omitempty"`
	LoadedAt     time.Time `json:"loaded_at,omitzero"`
	LoadDuration float64   `json:"load_seconds,omitempty"`
	// Series is the last hour, one point per bucket; Hour sums it with
	// the batch-size and queue-time histograms.
	Series []series.Point `json:"series"`
	Hour   series.Summary `json:"hour"`
	Drift  *drift.Report  `json:"drift,omitempty"`
	Sides  []drift.Side   `json:"drift_sides,omitempty"`
}

// Model returns one model's page.
func (c *Console) Model(_ context.Context, name string) (*ModelPage, error) {
	m, err := c.cfg.Models.Model(name)
	if err != nil {
		return nil, err
	}
	p := &ModelPage{ModelSummary: c.summary(m), History: []VersionInfo{}, Promotions: []evaluate.Promotion{}}
	if m.Config != nil {
		p.Platform = m.Config.Platform
	}
	for _, v := range m.Versions() {
		p.History = append(p.History, c.versionInfo(v))
	}
	if c.cfg.Accuracy != nil {
		p.Accuracy = c.cfg.Accuracy.Status(name)
	}
	c.promotions(p)
	return p, nil
}

// versionInfo is a version's history line, series and drift.
func (c *Console) versionInfo(v *serving.Version) VersionInfo {
	st := v.Status()
	vi := VersionInfo{Number: v.Number, State: string(st.State), Engine: st.Engine, SHA256: st.SHA256, SizeBytes: st.SizeBytes,
		LoadedAt: st.LoadedAt, LoadDuration: st.LoadDuration.Seconds()}
	if st.Err != nil {
		vi.Error = st.Err.Error()
	}
	se := c.cfg.Series.Lookup(v.ModelName, v.Label(), "")
	vi.Series, vi.Hour = se.Points(series.Slots), se.Summary(time.Hour)
	if d := c.cfg.Drift; d != nil {
		if rep, ok := d.Last(v.ModelName, v.Number); ok {
			vi.Drift = &rep
			vi.Sides = d.LastSides(v.ModelName, v.Number)
		}
	}
	return vi
}

// promotions fills the promotion record and the latest evaluation.
func (c *Console) promotions(p *ModelPage) {
	if c.cfg.Promotions == nil {
		return
	}
	ps, err := c.cfg.Promotions(p.Name)
	if err != nil {
		p.PromotionsError = err.Error()
		return
	}
	if len(ps) > maxPromotions {
		ps = ps[len(ps)-maxPromotions:]
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if len(ps[i].Metrics) > 0 {
			p.Evaluation = &ps[i]
			break
		}
	}
	if ps != nil {
		p.Promotions = ps
	}
}
