package serving

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// ErrNotFound marks unknown models, versions and labels (404).
var ErrNotFound = errors.New("not found")

// ErrUnavailable marks versions that exist but cannot serve (503).
var ErrUnavailable = errors.New("unavailable")

// Model is a named model with its versions.
type Model struct {
	Name      string
	Config    *model.Config
	ConfigErr error
	versions  []*Version // ascending by number
}

// Versions returns the model's versions, ascending.
func (m *Model) Versions() []*Version { return m.versions }

// Default returns the highest AVAILABLE version, or nil.
func (m *Model) Default() *Version {
	for i := len(m.versions) - 1; i >= 0; i-- {
		if m.versions[i].State() == StateAvailable {
			return m.versions[i]
		}
	}
	return nil
}

// Manager owns the loaded models.
type Manager struct {
	log           *slog.Logger
	metrics       *metrics
	defaultEngine string
	threads       int

	mu     sync.RWMutex
	models map[string]*Model
	loaded bool
}

// Option configures a Manager.
type Option func(*Manager)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithRegisterer registers the manager's metrics with r.
func WithRegisterer(r prometheus.Registerer) Option {
	return func(m *Manager) { m.metrics = newMetrics(r) }
}

// WithDefaultEngine sets the engine for models whose config names none.
func WithDefaultEngine(name string) Option { return func(m *Manager) { m.defaultEngine = name } }

// WithThreads sets the intra-op threads for models whose config sets none.
func WithThreads(n int) Option { return func(m *Manager) { m.threads = n } }

// New returns an empty Manager.
func New(opts ...Option) *Manager {
	m := &Manager{log: slog.Default(), defaultEngine: "native", models: map[string]*Model{}}
	for _, o := range opts {
		o(m)
	}
	if m.metrics == nil {
		m.metrics = newMetrics(nil)
	}
	return m
}

// LoadRepository scans root and loads every version of every model. A
// model or version that fails is recorded as FAILED and logged; the error
// returned is only for a repository that cannot be read at all.
func (m *Manager) LoadRepository(ctx context.Context, root string) error {
	found, err := repository.Scan(root)
	if err != nil {
		return err
	}
	m.mu.Lock()
	for _, rm := range found {
		mod := &Model{Name: rm.Name, Config: rm.Config, ConfigErr: rm.ConfigErr}
		for _, rv := range rm.Versions {
			v := newVersion(rm.Name, rv.Number, rv.Path, rm.Config)
			mod.versions = append(mod.versions, v)
		}
		m.models[rm.Name] = mod
		if rm.ConfigErr != nil {
			m.log.Error("model config rejected", "model", rm.Name, "err", rm.ConfigErr)
		}
		if len(rm.Versions) == 0 {
			m.log.Warn("model has no version directories", "model", rm.Name, "dir", rm.Dir)
		}
	}
	m.mu.Unlock()

	for _, rm := range found {
		for _, rv := range rm.Versions {
			if err := ctx.Err(); err != nil {
				return err
			}
			v := m.version(rm.Name, rv.Number)
			switch {
			case rm.ConfigErr != nil:
				v.setFailed(fmt.Errorf("model config: %w", rm.ConfigErr))
			case rv.Err != nil:
				v.setFailed(rv.Err)
			default:
				m.load(ctx, v)
			}
			m.metrics.setState(v)
			if st := v.Status(); st.State == StateFailed {
				m.log.Error("model version failed to load", "model", v.Model, "version", v.Number, "err", st.Err)
			}
		}
	}
	m.mu.Lock()
	m.loaded = true
	m.mu.Unlock()
	return nil
}

func (m *Manager) version(name string, number int) *Version {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, v := range m.models[name].versions {
		if v.Number == number {
			return v
		}
	}
	return nil
}

// Models returns the models sorted by name.
func (m *Manager) Models() []*Model {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Model, 0, len(m.models))
	for _, mod := range m.models {
		out = append(out, mod)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Model returns the named model.
func (m *Manager) Model(name string) (*Model, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mod, ok := m.models[name]
	if !ok {
		return nil, fmt.Errorf("%w: model %q", ErrNotFound, name)
	}
	return mod, nil
}

// Resolve finds a version of the named model. ref is "" for the default
// (highest AVAILABLE) version, a number ("3" or "v3"), or a version label
// from the model's config.
func (m *Manager) Resolve(name, ref string) (*Version, error) {
	mod, err := m.Model(name)
	if err != nil {
		return nil, err
	}
	if ref == "" {
		if v := mod.Default(); v != nil {
			return v, nil
		}
		return nil, fmt.Errorf("%w: model %q has no AVAILABLE version", ErrUnavailable, name)
	}
	number, perr := model.ParseVersion(ref)
	if perr != nil {
		n, ok := 0, false
		if mod.Config != nil {
			n, ok = mod.Config.VersionLabels[ref]
		}
		if !ok {
			return nil, fmt.Errorf("%w: model %q has no version or label %q", ErrNotFound, name, ref)
		}
		number = n
	}
	i := slices.IndexFunc(mod.versions, func(v *Version) bool { return v.Number == number })
	if i < 0 {
		return nil, fmt.Errorf("%w: model %q has no version %d", ErrNotFound, name, number)
	}
	return mod.versions[i], nil
}

// Ready reports whether loading has finished and every model has an
// AVAILABLE version; otherwise it says which models are not ready.
func (m *Manager) Ready() (bool, string) {
	m.mu.RLock()
	loaded := m.loaded
	m.mu.RUnlock()
	if !loaded {
		return false, "models are loading"
	}
	var missing []string
	for _, mod := range m.Models() {
		if mod.Default() == nil {
			missing = append(missing, mod.Name)
		}
	}
	if len(missing) > 0 {
		return false, "no AVAILABLE version of: " + strings.Join(missing, ", ")
	}
	return true, ""
}

// Close unloads every version.
func (m *Manager) Close() error {
	var errs []error
	for _, mod := range m.Models() {
		for _, v := range mod.versions {
			if err := v.unload(); err != nil {
				errs = append(errs, fmt.Errorf("unloading %s/%d: %w", v.Model, v.Number, err))
			}
			m.metrics.setState(v)
		}
	}
	return errors.Join(errs...)
}
