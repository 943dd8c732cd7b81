package serving

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"time"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// overrides are the changes made through the API to a model's labels and
// traffic split. When the repository can store them (a
// repository.RoutingWriter: directories, object storage), they are
// written to the model's routing.yaml and read back from it by every
// replica; otherwise they live in memory and config.yaml is the truth at
// start.
type overrides struct {
	labels  map[string]int // 0: the label was deleted
	traffic model.Traffic  // non-nil and empty: the split was removed
}

// overridesOf returns the API's overrides of a model, or nil.
func (m *Manager) overridesOf(name string) *overrides {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.overrides[name]
}

// SetLabel points label at version of the named model. The version must
// be AVAILABLE, so that a label never points at nothing.
func (m *Manager) SetLabel(name, label string, version int) error {
	if !model.ValidName(label) {
		return fmt.Errorf("%w: %q is not a valid label (letters, digits, _ . -)", ErrInvalid, label)
	}
	if _, err := model.ParseVersion(label); err == nil {
		return fmt.Errorf("%w: label %q looks like a version number", ErrInvalid, label)
	}
	return m.change(name, func(mod *ServedModel, o *overrides) error {
		v := mod.Version(version)
		if v == nil || v.State() != StateAvailable {
			state := "not loaded"
			if v != nil {
				state = string(v.State())
			}
			return fmt.Errorf("%w: version %d of model %q is %s; a label can only point at an AVAILABLE version", ErrInvalid, version, name, state)
		}
		o.labels[label] = version
		return nil
	})
}

// DeleteLabel removes a label.
func (m *Manager) DeleteLabel(name, label string) error {
	return m.change(name, func(mod *ServedModel, o *overrides) error {
		if _, ok := mod.labels[label]; !ok {
			return fmt.Errorf("%w: model %q has no label %q", ErrNotFound, name, label)
		}
		o.labels[label] = 0
		return nil
	})
}

// SetTraffic splits the unversioned route of the named model between
// versions by weight; every version with a positive weight must be
// AVAILABLE. A nil split removes it.
func (m *Manager) SetTraffic(name string, split map[string]int) error {
	var t model.Traffic
	if split != nil {
		var err error
		if t, err = model.ParseTraffic(split); err != nil {
			return fmt.Errorf("%w: traffic: %v", ErrInvalid, err)
		}
	}
	return m.change(name, func(mod *ServedModel, o *overrides) error {
		for _, n := range t.Versions() {
			if v := mod.Version(n); v == nil || v.State() != StateAvailable {
				return fmt.Errorf("%w: traffic: version %d of model %q is not AVAILABLE", ErrInvalid, n, name)
			}
		}
		if t == nil {
			t = model.Traffic{}
		}
		o.traffic = t
		return nil
	})
}

// change applies an API change to a model's overrides, publishes the new
// labels and traffic, and asks for a sync so that versions no longer
// pinned can be retired.
func (m *Manager) change(name string, apply func(*ServedModel, *overrides) error) error {
	mod, err := m.Model(name)
	if err != nil {
		return err
	}
	if mod.Config == nil {
		return fmt.Errorf("%w: model %q has no valid config", ErrUnavailable, name)
	}
	m.mu.RLock()
	w, src := m.routing, m.source
	m.mu.RUnlock()
	if w != nil {
		return m.changeShared(src, w, mod, apply)
	}
	m.mu.Lock()
	o := m.overrides[name]
	if o == nil {
		o = &overrides{labels: map[string]int{}}
	}
	next := &overrides{labels: maps.Clone(o.labels), traffic: o.traffic}
	if err := apply(mod, next); err != nil {
		m.mu.Unlock()
		return err
	}
	m.overrides[name] = next
	m.mu.Unlock()
	m.publishOverrides(mod, next)
	return nil
}

// publishOverrides publishes the labels and traffic that o gives the
// model, and asks for a sync so that versions no longer pinned retire.
func (m *Manager) publishOverrides(mod *ServedModel, o *overrides) {
	labels, traffic := effective(mod.Config, o)
	m.mu.Lock()
	if cur := m.models[mod.Name]; cur != nil {
		c := *cur
		c.labels, c.traffic = labels, traffic
		m.models[mod.Name] = &c
	}
	m.mu.Unlock()
	m.requestSync()
}

// routingAttempts bounds the retries of a change whose routing.yaml was
// rewritten by another replica meanwhile; between them the change waits
// a random, growing while (conflictBackoff), so that replicas racing on
// one model do not keep colliding.
const routingAttempts = 12

// conflictBackoff waits before retry attempt (1, 2, …): a random time in
// [d/2, d) with d = 1 ms doubling per attempt, at most 200 ms. It returns
// ctx's error if ctx ends first.
func conflictBackoff(ctx context.Context, attempt int) error {
	d := min(time.Millisecond<<min(attempt-1, 8), 200*time.Millisecond)
	t := time.NewTimer(d/2 + rand.N(d/2))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// changeShared applies a change to the routing.yaml in the repository:
// read, apply, and write back if nobody wrote it meanwhile (compare and
// swap); a conflicting write is retried on the new content, so that
// neither change is lost.
func (m *Manager) changeShared(src repository.Source, w repository.RoutingWriter, mod *ServedModel, apply func(*ServedModel, *overrides) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for attempt := range routingAttempts {
		if attempt > 0 {
			if err := conflictBackoff(ctx, attempt); err != nil {
				return fmt.Errorf("%w: model %q: %v", ErrUnavailable, mod.Name, err)
			}
		}
		e, err := src.Get(ctx, mod.Name)
		if err != nil {
			return fmt.Errorf("%w: reading model %q: %v", ErrUnavailable, mod.Name, err)
		}
		if e.RoutingErr != nil {
			return fmt.Errorf("%w: model %q: %v; fix or remove it", ErrUnavailable, mod.Name, e.RoutingErr)
		}
		base := e.Routing
		if base == nil {
			base = &model.Routing{}
		}
		next := overridesFrom(base)
		if err := apply(mod, next); err != nil {
			return err
		}
		r := next.routing(base.Generation + 1)
		err = w.WriteRouting(ctx, mod.Name, r.Marshal(), e.RoutingID)
		if errors.Is(err, repository.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: writing the labels and traffic of model %q: %v", ErrUnavailable, mod.Name, err)
		}
		m.mu.Lock()
		m.overrides[mod.Name] = next
		m.mu.Unlock()
		m.publishOverrides(mod, next)
		m.log.Info("routing written to the repository", "model", mod.Name, "generation", r.Generation)
		return nil
	}
	return fmt.Errorf("model %q: %s was rewritten %d times while this change was applied: %w", mod.Name, model.RoutingFileName, routingAttempts, repository.ErrConflict)
}

// overridesFrom reads routing.yaml's changes.
func overridesFrom(r *model.Routing) *overrides {
	labels := maps.Clone(r.Labels)
	if labels == nil {
		labels = map[string]int{}
	}
	return &overrides{labels: labels, traffic: r.TrafficSplit()}
}

// routing is o as routing.yaml of the given generation.
func (o *overrides) routing(generation int64) *model.Routing {
	host, _ := os.Hostname()
	r := &model.Routing{Generation: generation, Labels: maps.Clone(o.labels), UpdatedBy: host, UpdatedAt: time.Now().UTC().Truncate(time.Second)}
	r.SetTrafficSplit(o.traffic)
	return r
}

// overridesFor returns the overrides a sync plans with: the entry's
// routing.yaml when the repository stores it (every replica agrees),
// else the API's changes held in memory.
func (m *Manager) overridesFor(e repository.Entry) *overrides {
	m.mu.RLock()
	shared := m.routing != nil
	m.mu.RUnlock()
	if !shared {
		return m.overridesOf(e.Name)
	}
	var o *overrides
	if e.Routing != nil {
		o = overridesFrom(e.Routing)
	} else if e.RoutingErr != nil {
		m.log.Warn("model routing file unusable: keeping the labels and traffic in effect", "model", e.Name, "err", e.RoutingErr)
		return m.overridesOf(e.Name)
	}
	m.mu.Lock()
	m.overrides[e.Name] = o
	m.mu.Unlock()
	return o
}
