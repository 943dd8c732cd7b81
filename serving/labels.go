package serving

import (
	"fmt"
	"maps"

	"github.com/inferd/inferd/model"
)

// overrides are the changes made through the API to a model's labels and
// traffic split. They live in memory; config.yaml stays the source of
// truth at start.
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

	labels, traffic := effective(mod.Config, next)
	m.mu.Lock()
	if cur := m.models[name]; cur != nil {
		c := *cur
		c.labels, c.traffic = labels, traffic
		m.models[name] = &c
	}
	m.mu.Unlock()
	m.requestSync()
	return nil
}
