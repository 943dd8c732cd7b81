package console

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/serving"
)

// sparkPoints is how many buckets the overview's sparklines show (5 min).
const sparkPoints = 30

// Overview is every model and pipeline at a glance.
type Overview struct {
	Time   int64          `json:"time"`
	Models []ModelSummary `json:"models"`
}

// ModelSummary is one model (or pipeline) in the overview.
type ModelSummary struct {
	Name        string           `json:"name"`
	Pipeline    bool             `json:"pipeline"`
	ConfigError string           `json:"config_error,omitempty"`
	Unloaded    bool             `json:"unloaded,omitempty"`
	Labels      map[string]int   `json:"labels"`
	Traffic     map[string]int   `json:"traffic"`
	Shadow      *Shadow          `json:"shadow,omitempty"`
	Versions    []VersionSummary `json:"versions"`
}

// Shadow is a model's shadow version and how often it agreed over the last
// five minutes.
type Shadow struct {
	Version  int     `json:"version"`
	Percent  float64 `json:"percent"`
	Agree    uint64  `json:"agree"`
	Disagree uint64  `json:"disagree"`
	Other    uint64  `json:"other"`
}

// VersionSummary is one version: its state and its last five minutes.
type VersionSummary struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
	// RPS, ErrorRate, P50 and P99 (seconds) are over the last five minutes.
	RPS       float64 `json:"rps"`
	ErrorRate float64 `json:"error_rate"`
	P50       float64 `json:"p50"`
	P99       float64 `json:"p99"`
	// Spark is the last five minutes by bucket (nil when idle).
	Spark *Spark `json:"spark,omitempty"`
}

// Spark is a few series of one value per bucket, oldest first.
type Spark struct {
	RPS       []float64 `json:"rps"`
	ErrorRate []float64 `json:"error_rate"`
	P50       []float64 `json:"p50"`
	P99       []float64 `json:"p99"`
}

// Overview returns every model and pipeline, sorted by name.
func (c *Console) Overview(context.Context) *Overview {
	mods := c.cfg.Models.Models()
	out := &Overview{Time: time.Now().Unix(), Models: make([]ModelSummary, 0, len(mods))}
	for _, m := range mods {
		out.Models = append(out.Models, c.summary(m))
	}
	slices.SortFunc(out.Models, func(a, b ModelSummary) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// summary is one model's line of the overview.
func (c *Console) summary(m *serving.ServedModel) ModelSummary {
	s := ModelSummary{Name: m.Name, Unloaded: m.Unloaded, Labels: m.Labels(), Traffic: trafficOf(m.Traffic()), Versions: []VersionSummary{}}
	if s.Labels == nil {
		s.Labels = map[string]int{}
	}
	if m.ConfigErr != nil {
		s.ConfigError = m.ConfigErr.Error()
	}
	if cfg := m.Config; cfg != nil {
		s.Pipeline = cfg.Platform == model.PlatformPipeline
		if sh := cfg.Shadow; sh != nil && sh.Version > 0 {
			s.Shadow = &Shadow{Version: sh.Version, Percent: sh.Percent}
		}
	}
	for _, v := range m.Versions() {
		vs, sum := c.versionSummary(v)
		if s.Shadow != nil {
			s.Shadow.Agree += sum.Agree
			s.Shadow.Disagree += sum.Disagree
			s.Shadow.Other += sum.ShadowOther
		}
		s.Versions = append(s.Versions, vs)
	}
	return s
}

// trafficOf is a split by version label (never nil).
func trafficOf(t model.Traffic) map[string]int {
	out := make(map[string]int, len(t))
	for _, k := range slices.Sorted(maps.Keys(t)) {
		out[strconv.Itoa(k)] = t[k]
	}
	return out
}

// versionSummary is a version's state and last five minutes.
func (c *Console) versionSummary(v *serving.Version) (VersionSummary, series.Summary) {
	st := v.Status()
	vs := VersionSummary{Number: v.Number, State: string(st.State)}
	if st.Err != nil {
		vs.Error = st.Err.Error()
	}
	se := c.cfg.Series.Lookup(v.ModelName, v.Label(), "")
	if se == nil {
		return vs, series.Summary{}
	}
	window := sparkPoints * series.Width
	sum := se.Summary(window)
	if sum.Requests == 0 && sum.Agree+sum.Disagree+sum.ShadowOther == 0 {
		return vs, sum
	}
	vs.RPS = float64(sum.Requests) / window.Seconds()
	vs.ErrorRate = round(ratio(sum.Errors, sum.Requests), 1e4)
	vs.P50, vs.P99 = round(sum.P50, 1e6), round(sum.P99, 1e6)
	vs.Spark = spark(se.Points(sparkPoints))
	return vs, sum
}

// spark turns points into per-bucket rates and quantiles.
func spark(pts []series.Point) *Spark {
	sp := &Spark{RPS: make([]float64, len(pts)), ErrorRate: make([]float64, len(pts)), P50: make([]float64, len(pts)), P99: make([]float64, len(pts))}
	for i, p := range pts {
		sp.RPS[i] = float64(p.Requests) / series.Width.Seconds()
		sp.ErrorRate[i] = round(ratio(p.Errors, p.Requests), 1e4)
		sp.P50[i], sp.P99[i] = round(p.P50, 1e6), round(p.P99, 1e6)
	}
	return sp
}

// round keeps x to 1/per (microseconds for latencies): the sparklines
// need no more, and the overview's JSON is a third of the size.
func round(x, per float64) float64 { return math.Round(x*per) / per }

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
