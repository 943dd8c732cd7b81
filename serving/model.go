package serving

import (
	"maps"
	"slices"

	"github.com/inferd/inferd/model"
)

// ServedModel is an immutable snapshot of a served model: the config in
// effect, its versions and its labels. The manager replaces the snapshot
// when anything changes, so a reader never sees a half-applied update.
// (model.Config is what config.yaml says; repository.Entry is what the
// repository holds; a ServedModel is what is served.)
type ServedModel struct {
	Name string
	// Config is the config in effect; nil when no valid config was ever read.
	Config *model.Config
	// ConfigErr says why config.yaml was rejected. When Config is set too,
	// the previous valid config is still in effect.
	ConfigErr error
	// Unloaded is set when the model was unloaded through the explicit
	// model-control API.
	Unloaded bool

	versions []*Version // ascending by number
	labels   map[string]int
	traffic  model.Traffic
	configID string
}

// Versions returns the model's versions, ascending.
func (m *ServedModel) Versions() []*Version { return m.versions }

// Version returns version n, or nil.
func (m *ServedModel) Version(n int) *Version {
	i := slices.IndexFunc(m.versions, func(v *Version) bool { return v.Number == n })
	if i < 0 {
		return nil
	}
	return m.versions[i]
}

// Labels returns the version labels in effect: config.yaml's, changed by
// the label API.
func (m *ServedModel) Labels() map[string]int { return maps.Clone(m.labels) }

// Traffic returns the traffic split of the unversioned route, or nil.
func (m *ServedModel) Traffic() model.Traffic { return maps.Clone(m.traffic) }

// Default returns the highest AVAILABLE version, or nil.
func (m *ServedModel) Default() *Version {
	for i := len(m.versions) - 1; i >= 0; i-- {
		if m.versions[i].State() == StateAvailable {
			return m.versions[i]
		}
	}
	return nil
}

// withVersions returns a copy of m with other versions, sorted.
func (m *ServedModel) withVersions(vs []*Version) *ServedModel {
	c := *m
	c.versions = slices.SortedFunc(slices.Values(vs), func(a, b *Version) int { return a.Number - b.Number })
	return &c
}

func (m *ServedModel) find(n int) *Version {
	if m == nil {
		return nil
	}
	return m.Version(n)
}

func (m *ServedModel) list() []*Version {
	if m == nil {
		return nil
	}
	return m.versions
}
