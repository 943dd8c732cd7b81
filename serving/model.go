package serving

import (
	"maps"
	"slices"

	"github.com/inferd/inferd/model"
)

// Model is an immutable snapshot of a named model: the config in effect,
// its versions and its labels. The manager replaces the snapshot when
// anything changes, so a reader never sees a half-applied update.
type Model struct {
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
	digest   string
}

// Versions returns the model's versions, ascending.
func (m *Model) Versions() []*Version { return m.versions }

// Version returns version n, or nil.
func (m *Model) Version(n int) *Version {
	i := slices.IndexFunc(m.versions, func(v *Version) bool { return v.Number == n })
	if i < 0 {
		return nil
	}
	return m.versions[i]
}

// Labels returns the version labels in effect: config.yaml's, changed by
// the label API.
func (m *Model) Labels() map[string]int { return maps.Clone(m.labels) }

// Traffic returns the traffic split of the unversioned route, or nil.
func (m *Model) Traffic() model.Traffic { return maps.Clone(m.traffic) }

// Default returns the highest AVAILABLE version, or nil.
func (m *Model) Default() *Version {
	for i := len(m.versions) - 1; i >= 0; i-- {
		if m.versions[i].State() == StateAvailable {
			return m.versions[i]
		}
	}
	return nil
}

// withVersions returns a copy of m with other versions.
func (m *Model) withVersions(vs []*Version) *Model {
	c := *m
	c.versions = vs
	return &c
}
