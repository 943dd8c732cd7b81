package repository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/inferd/inferd/model"
)

// DefaultSettle is the settle duration servers use by default: a new or
// changed file must keep its identity that long before it is used.
const DefaultSettle = time.Second

// settleMargin is added to a wake-up so that what it waits for has settled
// when the consumer lists again.
const settleMargin = 10 * time.Millisecond

// SettleOption configures Settled.
type SettleOption func(*SettledSource)

// WithClock sets the clock Settled measures with (default time.Now).
func WithClock(now func() time.Time) SettleOption {
	return func(s *SettledSource) { s.now = now }
}

// WithAfterFunc sets how Settled schedules a wake-up (default
// time.AfterFunc): after must run f once d has passed, later than the call
// itself (never from within it), unless stop is called first.
func WithAfterFunc(after func(d time.Duration, f func()) (stop func())) SettleOption {
	return func(s *SettledSource) { s.after = after }
}

// SettledSource is a Source that reports only what has settled in the
// source it wraps: files are used once they have stopped changing, never
// while they are being copied. See Settled.
type SettledSource struct {
	src   Source
	d     time.Duration
	now   func() time.Time
	after func(time.Duration, func()) func()
	subs  broadcaster

	mu     sync.Mutex // serialises reads and guards what follows
	listed bool       // a List has succeeded: models seen from now on settle
	models map[string]*settleState

	wakeMu   sync.Mutex
	wakeAt   time.Time // the earliest wake-up scheduled, zero if none
	wakeStop func()
	wakeGen  uint64
}

// settleState is what Settled knows of one model.
type settleState struct {
	hasConfig  bool
	config     settledConfig // the settled config, when hasConfig
	configWait pending
	versions   map[int]*settleVersion
}

type settledConfig struct {
	cfg *model.Config
	err error
	id  string
}

type settleVersion struct {
	settled *VersionEntry // the last settled file; nil if none
	wait    pending
}

// pending is an identity being watched for the settle duration.
type pending struct {
	id    string
	since time.Time
}

// check records id at now and reports whether it has kept that identity
// for d; if not, how long it still has to.
func (p *pending) check(id string, now time.Time, d time.Duration) (bool, time.Duration) {
	if p.since.IsZero() || p.id != id {
		*p = pending{id: id, since: now}
	}
	if held := now.Sub(p.since); held < d {
		return false, d - held
	}
	*p = pending{}
	return true, 0
}

// Settled wraps src so that its List and Get report only what has settled,
// that is kept the same identity for d since Settled first saw it:
//
//   - a new version whose model file's FileID has not been the same for d
//     is left out;
//   - a version whose file changed (a new FileID) but has not settled is
//     reported with its previous settled FileID, Size and ModTime, so that
//     the loaded copy keeps serving;
//   - a changed config (ConfigID) that has not settled is reported as the
//     previous settled Config, ConfigErr and ConfigID;
//   - a model that appears after the first List is left out until its
//     config has settled (its versions settle meanwhile);
//   - a version without a model file (VersionEntry.Err) and removed
//     versions and models are reported as they are, at once.
//
// The first List settles everything at once, as does a Get of a model
// before any List: a server's start-up does not wait. While something is
// pending, the Watch channel receives again when it may have settled (d
// after it was first seen, plus a small margin), so that the consumer lists
// again. d <= 0 means no settling: everything is reported as it is.
//
// Identities are only observed when List or Get is called: a file settles
// when two reads d apart see the same identity. GetNow bypasses settling
// for an explicit load.
func Settled(src Source, d time.Duration, opts ...SettleOption) *SettledSource {
	s := &SettledSource{
		src: src, d: d, now: time.Now,
		after: func(d time.Duration, f func()) func() {
			t := time.AfterFunc(d, f)
			return func() { t.Stop() }
		},
		models: map[string]*settleState{},
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Unwrap returns the source Settled wraps.
func (s *SettledSource) Unwrap() Source { return s.src }

// List implements Source: the settled entries, sorted by name.
func (s *SettledSource) List(ctx context.Context) ([]Entry, error) {
	if s.d <= 0 {
		return s.src.List(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := s.src.List(ctx)
	if err != nil {
		return nil, err
	}
	now, initial := s.now(), !s.listed
	seen := make(map[string]bool, len(entries))
	out := entries[:0]
	for _, e := range entries {
		seen[e.Name] = true
		if e, ok := s.apply(e, now, initial); ok {
			out = append(out, e)
		}
	}
	for name := range s.models {
		if !seen[name] {
			delete(s.models, name)
		}
	}
	s.listed = true
	return out, nil
}

// Get implements Source: the settled entry, or an error wrapping
// fs.ErrNotExist when there is none or its config has not settled yet.
func (s *SettledSource) Get(ctx context.Context, name string) (Entry, error) {
	return s.get(ctx, name, false)
}

// GetNow returns the entry as the wrapped source has it now, bypassing
// settling, for an explicit load that wants what is there now. What it
// returns counts as settled from then on, so that List and Get agree with
// what the caller loaded.
func (s *SettledSource) GetNow(ctx context.Context, name string) (Entry, error) {
	return s.get(ctx, name, true)
}

// get reads one entry from the wrapped source and settles it; with now,
// everything in it counts as settled at once.
func (s *SettledSource) get(ctx context.Context, name string, now bool) (Entry, error) {
	if s.d <= 0 {
		return s.src.Get(ctx, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.src.Get(ctx, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			delete(s.models, name)
		}
		return Entry{}, err
	}
	initial := now || !s.listed && s.models[name] == nil
	e, ok := s.apply(e, s.now(), initial)
	if !ok {
		return Entry{}, fmt.Errorf("model %s: config.yaml has not settled yet: %w", name, fs.ErrNotExist)
	}
	return e, nil
}

// FS implements Source: the wrapped source's files, as they are now.
func (s *SettledSource) FS(name string) (fs.FS, error) { return s.src.FS(name) }

// String implements Source.
func (s *SettledSource) String() string {
	if s.d <= 0 {
		return s.src.String()
	}
	return fmt.Sprintf("%s (settle %v)", s.src, s.d)
}

// Watch implements Source: the wrapped source's notifications, and a
// wake-up when something pending may have settled.
func (s *SettledSource) Watch(ctx context.Context) <-chan struct{} {
	if s.d <= 0 {
		return s.src.Watch(ctx)
	}
	out := s.subs.subscribe(ctx)
	in := s.src.Watch(ctx)
	go func() {
		for range in {
			s.subs.send(out)
		}
	}()
	return out
}

// apply records e as seen at now and returns what of it has settled; false
// when the model itself has not (a new model whose config has not
// settled). With all, everything counts as settled. It is called with s.mu
// held.
func (s *SettledSource) apply(e Entry, now time.Time, all bool) (Entry, bool) {
	st := s.models[e.Name]
	if st == nil {
		st = &settleState{versions: map[int]*settleVersion{}}
		s.models[e.Name] = st
	}
	visible := s.applyConfig(st, &e, now, all)
	seen := make(map[int]bool, len(e.Versions))
	versions := make([]VersionEntry, 0, len(e.Versions))
	for _, v := range e.Versions {
		seen[v.Number] = true
		if v, ok := s.applyVersion(st, v, now, all); ok {
			versions = append(versions, v)
		}
	}
	for n := range st.versions {
		if !seen[n] {
			delete(st.versions, n)
		}
	}
	e.Versions = versions
	return e, visible
}

// applyConfig replaces e's config by the settled one and reports whether
// the model has a settled config at all.
func (s *SettledSource) applyConfig(st *settleState, e *Entry, now time.Time, all bool) bool {
	visible := true
	switch current := (settledConfig{e.Config, e.ConfigErr, e.ConfigID}); {
	case all || st.hasConfig && st.config.id == e.ConfigID:
		st.hasConfig, st.config, st.configWait = true, current, pending{}
	default:
		if ok, wait := st.configWait.check(e.ConfigID, now, s.d); ok {
			st.hasConfig, st.config = true, current
		} else {
			s.wakeIn(now, wait)
			visible = st.hasConfig
		}
	}
	e.Config, e.ConfigErr, e.ConfigID = st.config.cfg, st.config.err, st.config.id
	return visible
}

// applyVersion returns what of version v has settled: v itself, v with
// the file that settled before it changed, or nothing (false) for a new
// file that has not settled yet.
func (s *SettledSource) applyVersion(st *settleState, v VersionEntry, now time.Time, all bool) (VersionEntry, bool) {
	sv := st.versions[v.Number]
	if sv == nil {
		sv = &settleVersion{}
		st.versions[v.Number] = sv
	}
	if v.Err != nil {
		*sv = settleVersion{} // no file: whatever comes next is new
		return v, true
	}
	settled := all || sv.settled != nil && sv.settled.FileID == v.FileID
	if !settled {
		var wait time.Duration
		if settled, wait = sv.wait.check(v.FileID, now, s.d); !settled {
			s.wakeIn(now, wait)
		}
	}
	switch {
	case settled:
		cp := v
		sv.settled, sv.wait = &cp, pending{}
	case sv.settled == nil:
		return VersionEntry{}, false // new and not settled: left out
	default: // changed and not settled: the settled file keeps serving
		v.FileID, v.Size, v.ModTime = sv.settled.FileID, sv.settled.Size, sv.settled.ModTime
	}
	return v, true
}

// wakeIn makes the watchers receive once wait (and the margin) has passed
// since now, unless an earlier wake-up is already due.
func (s *SettledSource) wakeIn(now time.Time, wait time.Duration) {
	wait += settleMargin
	at := now.Add(wait)
	s.wakeMu.Lock()
	if !s.wakeAt.IsZero() && !s.wakeAt.After(at) {
		s.wakeMu.Unlock()
		return
	}
	if s.wakeStop != nil {
		s.wakeStop()
	}
	s.wakeGen++
	gen := s.wakeGen
	s.wakeAt = at
	s.wakeStop = s.after(wait, func() {
		s.wakeMu.Lock()
		if s.wakeGen == gen {
			s.wakeAt, s.wakeStop = time.Time{}, nil
		}
		s.wakeMu.Unlock()
		s.subs.notify()
	})
	s.wakeMu.Unlock()
}
