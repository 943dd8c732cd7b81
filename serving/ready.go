package serving

import (
	"fmt"
	"slices"
	"strings"
)

// Readiness is the policy Ready follows: which models must have an
// AVAILABLE version for the server to be ready.
type Readiness struct {
	// Mode is ReadyLoaded (the default, ""), ReadyAll or ReadyAny; with
	// Models set it is ignored.
	Mode string
	// Models, when set, are the models that must each have an AVAILABLE
	// version; the others do not count.
	Models []string
}

// Readiness modes.
const (
	// ReadyLoaded: every model that has had an AVAILABLE version since the
	// server started has one now, and at least one model serves when the
	// repository has any. A model that never loaded (a bad upload) does
	// not take a replica out of its Service; one that stops serving does.
	ReadyLoaded = "loaded"
	// ReadyAll: every model has an AVAILABLE version.
	ReadyAll = "all"
	// ReadyAny: at least one model has an AVAILABLE version.
	ReadyAny = "any"
)

// ParseReadiness reads a --readiness value: loaded, all, any, or a
// comma-separated list of model names.
func ParseReadiness(s string) (Readiness, error) {
	switch s {
	case "", ReadyLoaded:
		return Readiness{Mode: ReadyLoaded}, nil
	case ReadyAll, ReadyAny:
		return Readiness{Mode: s}, nil
	}
	var names []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n == "" {
			return Readiness{}, fmt.Errorf("readiness %q: an empty model name in the list", s)
		}
		names = append(names, n)
	}
	return Readiness{Models: names}, nil
}

func (r Readiness) String() string {
	if len(r.Models) > 0 {
		return "models " + strings.Join(r.Models, ",")
	}
	if r.Mode == "" {
		return ReadyLoaded
	}
	return r.Mode
}

// WithReadiness sets the readiness policy (default ReadyLoaded).
func WithReadiness(r Readiness) Option { return func(m *Manager) { m.readiness = r } }

// markServed records that a model has had an AVAILABLE version.
func (m *Manager) markServed(name string) {
	m.mu.Lock()
	m.served[name] = true
	m.mu.Unlock()
}

// Ready reports whether the initial load has finished and the models the
// readiness policy names have an AVAILABLE version. why says what is
// missing when it is not ready, and, when it is, which models do not serve
// (empty when all do).
func (m *Manager) Ready() (ready bool, why string) {
	m.mu.RLock()
	loaded, policy := m.loaded, m.readiness
	served := make(map[string]bool, len(m.served))
	for k, v := range m.served {
		served[k] = v
	}
	m.mu.RUnlock()
	if !loaded {
		return false, "models are loading"
	}
	var serving, down, lost []string // down: never served; lost: served once, not now
	present := map[string]bool{}
	for _, mod := range m.Models() {
		present[mod.Name] = true
		switch {
		case mod.Unloaded:
		case mod.Default() != nil:
			serving = append(serving, mod.Name)
		case served[mod.Name]:
			lost = append(lost, mod.Name)
		default:
			down = append(down, mod.Name)
		}
	}
	notServing := slices.Concat(lost, down)
	slices.Sort(notServing)
	return policy.judge(serving, notServing, lost, present)
}

// judge applies the policy to the models that serve, those that do not
// (lost: those that did once), and the names present in the repository.
func (r Readiness) judge(serving, notServing, lost []string, present map[string]bool) (bool, string) {
	note := ""
	if len(notServing) > 0 {
		note = "no AVAILABLE version of: " + strings.Join(notServing, ", ")
	}
	switch {
	case len(r.Models) > 0:
		var missing []string
		for _, n := range r.Models {
			if !present[n] || !slices.Contains(serving, n) {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return false, fmt.Sprintf("readiness policy %q: no AVAILABLE version of: %s", r, strings.Join(missing, ", "))
		}
	case r.Mode == ReadyAll:
		if len(notServing) > 0 {
			return false, note
		}
	case r.Mode == ReadyAny:
		if len(serving) == 0 && len(notServing) > 0 {
			return false, note
		}
	default: // ReadyLoaded
		if len(lost) > 0 {
			return false, fmt.Sprintf("readiness policy %q: no longer serving: %s", ReadyLoaded, strings.Join(lost, ", "))
		}
		if len(serving) == 0 && len(notServing) > 0 {
			return false, fmt.Sprintf("readiness policy %q: no model serves; %s", ReadyLoaded, note)
		}
	}
	return true, note
}
