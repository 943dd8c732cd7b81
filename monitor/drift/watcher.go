package drift

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/repository"
)

// ModelFiles is the repository as the watcher reads it: its entries and
// each model directory's files. A repository.Source (a local directory or
// object storage) is one.
type ModelFiles interface {
	List(ctx context.Context) ([]repository.Entry, error)
	FS(model string) (fs.FS, error)
}

// ScanEvery is how often the watcher lists the repository for versions
// with a profile: a listing of object storage reads every model, so it is
// not done at every step. A profile written later is used within it.
const ScanEvery = time.Minute

// Watcher computes drift off the request path: it reads captured records
// from the store as they arrive, groups them into windows per model
// version (Window rows, or what arrived within Span once there are at
// least MinRows), compares each window with the version's profile
// (<version>/profile.json in the model's files from Repository, a local
// directory or object storage) and publishes gauges.
type Watcher struct {
	Store      monitor.Store
	Repository ModelFiles
	Window     int
	Span       time.Duration
	MinRows    int
	Every      time.Duration
	Config     Config
	Log        *slog.Logger

	score, detected, estimated *prometheus.GaugeVec
	mu                         sync.Mutex
	last                       map[versionKey]Report
	sides                      map[versionKey][]Side // the reference beside the last window
	windows                    map[versionKey]*pendingWindow
	profiles                   map[versionKey]*Profile
	after                      map[versionKey]int64 // the last record read per version
	versions                   []versionKey         // the repository's versions at the last scan
	scanned                    time.Time            // when versions was listed
}

type versionKey struct {
	model   string
	version int
}

type pendingWindow struct {
	rows  []Row
	start time.Time
}

// NewWatcher returns a watcher with its gauges registered with reg.
func NewWatcher(store monitor.Store, repository ModelFiles, reg prometheus.Registerer) (*Watcher, error) {
	w := &Watcher{Store: store, Repository: repository, Window: 200, Span: time.Hour, MinRows: 50, Every: 10 * time.Second,
		Log: slog.New(slog.DiscardHandler), last: map[versionKey]Report{}, windows: map[versionKey]*pendingWindow{}, profiles: map[versionKey]*Profile{}, after: map[versionKey]int64{},
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_drift_score",
			Help: "Drift of the last window: per feature the test's statistic or distance (test label), for feature _dataset the dataset drift score."}, []string{"model", "version", "feature", "test"}),
		detected: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_drift_detected",
			Help: "1 when the last window drifted: per feature after multiple-testing correction, for feature _dataset the calibrated alarm."}, []string{"model", "version", "feature", "test"}),
		estimated: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "inferd_drift_estimated_accuracy",
			Help: "Label-free accuracy estimate of the last window: the classifier's mean confidence (valid for calibrated classifiers)."}, []string{"model", "version"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{w.score, w.detected, w.estimated} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

// Run checks for new records every Every until ctx is done.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.Every)
	defer t.Stop()
	for {
		if err := w.Step(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("drift: reading captured requests", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step reads the records that arrived since the last step for the
// versions that have a profile, and evaluates the windows they complete.
// Versions without one cost nothing: their records are not read.
func (w *Watcher) Step(ctx context.Context) error {
	for _, k := range w.profiled(ctx) {
		if err := w.read(ctx, k); err != nil {
			return err
		}
	}
	w.flushOld()
	return nil
}

// read reads the version's new records (at most 100 pages a step).
func (w *Watcher) read(ctx context.Context, k versionKey) error {
	for range 100 {
		recs, err := w.Store.Records(ctx, monitor.Query{Model: k.model, Version: k.version, AfterID: w.after[k], Limit: 2000})
		if err != nil {
			return err
		}
		for _, r := range recs {
			w.after[k] = r.ID
			w.add(r)
		}
		if len(recs) < 2000 {
			return nil
		}
	}
	return nil
}

// profiled returns the versions with a profile in the repository. The
// repository is listed at most every ScanEvery; each listing forgets the
// profiles found missing, so that one written since is read.
func (w *Watcher) profiled(ctx context.Context) []versionKey {
	if w.versions == nil || time.Since(w.scanned) >= ScanEvery {
		entries, err := w.Repository.List(ctx)
		if err != nil {
			w.Log.Warn("drift: listing the repository for profiles", "err", err)
		} else {
			w.versions, w.scanned = []versionKey{}, time.Now()
			for _, e := range entries {
				for _, v := range e.Versions {
					w.versions = append(w.versions, versionKey{e.Name, v.Number})
				}
			}
			maps.DeleteFunc(w.profiles, func(_ versionKey, p *Profile) bool { return p == nil })
		}
	}
	var out []versionKey
	for _, k := range w.versions {
		if w.profile(k) != nil {
			out = append(out, k)
		}
	}
	return out
}

func (w *Watcher) add(r monitor.Record) {
	k := versionKey{r.Model, r.Version}
	if w.profile(k) == nil {
		return
	}
	rows, err := RecordRows(r)
	if err != nil {
		w.Log.Warn("drift: skipping a record", "err", err)
		return
	}
	pw := w.windows[k]
	if pw == nil {
		pw = &pendingWindow{start: r.Time}
		w.windows[k] = pw
	}
	pw.rows = append(pw.rows, rows...)
	if len(pw.rows) >= w.Window {
		w.evaluate(k, pw.rows[:w.Window])
		delete(w.windows, k)
	}
}

// flushOld evaluates partial windows older than Span.
func (w *Watcher) flushOld() {
	for k, pw := range w.windows {
		if w.Span > 0 && time.Since(pw.start) > w.Span && len(pw.rows) >= w.MinRows {
			w.evaluate(k, pw.rows)
			delete(w.windows, k)
		}
	}
}

// profile returns the version's profile, nil when it has none.
func (w *Watcher) profile(k versionKey) *Profile {
	if p, ok := w.profiles[k]; ok {
		return p
	}
	var p *Profile
	fsys, err := w.Repository.FS(k.model)
	if err == nil {
		p, err = LoadFS(fsys, path.Join(strconv.Itoa(k.version), FileName))
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.Log.Warn("drift: the profile cannot be read; no drift for this version", "model", k.model, "version", k.version, "err", err)
	}
	w.profiles[k] = p // nil when missing or unreadable: looked for again after the next scan
	return p
}

func (w *Watcher) evaluate(k versionKey, rows []Row) {
	rep := Compare(w.profiles[k], rows, w.Config)
	v := strconv.Itoa(k.version)
	w.score.DeletePartialMatch(prometheus.Labels{"model": k.model, "version": v})
	w.detected.DeletePartialMatch(prometheus.Labels{"model": k.model, "version": v})
	for _, f := range rep.Features {
		w.score.WithLabelValues(k.model, v, f.Feature, f.Test).Set(f.Score)
		w.detected.WithLabelValues(k.model, v, f.Feature, f.Test).Set(b2f(f.Drifted))
	}
	w.score.WithLabelValues(k.model, v, "_dataset", "score").Set(rep.Score)
	w.detected.WithLabelValues(k.model, v, "_dataset", "score").Set(b2f(rep.Detected))
	if !math.IsNaN(rep.EstimatedAccuracy) {
		w.estimated.WithLabelValues(k.model, v).Set(rep.EstimatedAccuracy)
	}
	sides := Sides(w.profiles[k], rows)
	w.mu.Lock()
	w.last[k] = rep
	if w.sides == nil {
		w.sides = map[versionKey][]Side{}
	}
	w.sides[k] = sides
	w.mu.Unlock()
	if rep.Detected {
		w.Log.Warn("drift detected", "model", k.model, "version", k.version, "rows", rep.Rows, "score", rep.Score, "threshold", rep.Threshold, "share", rep.Share)
	}
}

// Last returns the report of the version's last window.
func (w *Watcher) Last(model string, version int) (Report, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.last[versionKey{model, version}]
	return r, ok
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
