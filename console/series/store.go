package series

import (
	"slices"
	"sync"
	"time"
)

// Width is a bucket's span and Slots the buckets a series keeps: one hour.
const (
	Width = 10 * time.Second
	Slots = 360
)

// key names a series: a model (or pipeline) version, and for a pipeline
// step its name.
type key struct{ model, version, step string }

// Store holds the series of every version and step. It is safe for
// concurrent use.
type Store struct {
	now func() time.Time
	mu  sync.RWMutex
	m   map[key]*Series
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{now: time.Now, m: map[key]*Series{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Series returns the series of a version (step "") or of a pipeline
// version's step, creating it.
func (s *Store) Series(model, version, step string) *Series {
	if s == nil {
		return nil
	}
	k := key{model, version, step}
	s.mu.RLock()
	se := s.m[k]
	s.mu.RUnlock()
	if se != nil {
		return se
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if se = s.m[k]; se == nil {
		se = &Series{now: s.now}
		s.m[k] = se
	}
	return se
}

// Lookup returns a series, or nil when nothing was recorded for it.
func (s *Store) Lookup(model, version, step string) *Series {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[key{model, version, step}]
}

// Request records a request that model version answered with the HTTP
// status code after d.
func (s *Store) Request(model, version string, code int, d time.Duration) {
	if s == nil || model == "" || version == "" {
		return
	}
	s.Series(model, version, "").Request(code >= 400, d)
}

// Shadow records the result of a request mirrored from model version to
// its shadow: agree, disagree, or anything else (an error, dropped).
func (s *Store) Shadow(model, version, result string) {
	if s == nil {
		return
	}
	s.Series(model, version, "").Shadow(result)
}

// Forget drops the series of a model version and of its steps.
func (s *Store) Forget(model, version string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.m {
		if k.model == model && k.version == version {
			delete(s.m, k)
		}
	}
}

// Steps names the steps of a pipeline version that have a series, sorted.
func (s *Store) Steps(model, version string) []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var steps []string
	for k := range s.m {
		if k.model == model && k.version == version && k.step != "" {
			steps = append(steps, k.step)
		}
	}
	slices.Sort(steps)
	return steps
}
