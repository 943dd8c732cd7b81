package serving

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving/runner"
)

// ErrNotFound marks unknown models, versions and labels (404).
var ErrNotFound = errors.New("not found")

// ErrUnavailable marks versions that exist but cannot serve (503).
var ErrUnavailable = errors.New("unavailable")

// ErrInvalid marks requests to change the manager that are wrong (400):
// a label pointing at a version that is not AVAILABLE, bad traffic weights.
var ErrInvalid = errors.New("invalid request")

// Manager owns the models of a repository: it loads the versions their
// version policies select, reloads them when the repository changes,
// resolves names, numbers, labels and traffic splits to versions, and
// retires versions only after the requests using them have finished.
type Manager struct {
	log           *slog.Logger
	metrics       *metrics
	defaultEngine string
	threads       int
	drainTimeout  time.Duration
	settle        time.Duration
	poll          time.Duration
	explicit      bool
	limits        loadLimits // see load.go
	// capture makes each version's capture wrapper (see capture.go).
	capture func(*Version) runner.Wrapper

	// syncMu serialises reconciliation with the repository.
	syncMu sync.Mutex
	// source is the repository as it is; repo is the same with settle
	// detection, what syncs follow.
	source repository.Source
	repo   *repository.SettledSource

	mu        sync.RWMutex
	models    map[string]*ServedModel
	loaded    bool
	overrides map[string]*overrides // API changes to labels and traffic, by model
	readiness Readiness             // see ready.go
	served    map[string]bool       // models that have had an AVAILABLE version
	// modelsKnown is set once a sync has published every model of the
	// repository: from then on an unknown name is not found, not loading.
	modelsKnown bool
	routing     repository.RoutingWriter // the source's, when it stores routing.yaml
	// (m.source is set once by Load, before any sync or API change)

	kick     chan struct{} // asks the watch loop for a sync
	retiring sync.WaitGroup
	shadows  *shadower
	// pipelines builds pipeline versions; see pipeline.go.
	pipelines  *pipeline.Builder
	pipeGraph  atomic.Pointer[pipelineGraph] // see pipeline_order.go
	registerer prometheus.Registerer
	series     *series.Store // the console's metrics (nil: none)
}

// Option configures a Manager.
type Option func(*Manager)

// WithSeries also records the batching, queue and shadow metrics, and
// the pipeline steps', in the console's ring buffer.
func WithSeries(s *series.Store) Option { return func(m *Manager) { m.series = s } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithRegisterer registers the manager's metrics with r.
func WithRegisterer(r prometheus.Registerer) Option {
	return func(m *Manager) { m.metrics, m.registerer = newMetrics(r), r }
}

// WithDefaultEngine sets the engine for models whose config names none.
func WithDefaultEngine(name string) Option { return func(m *Manager) { m.defaultEngine = name } }

// WithThreads sets the intra-op threads for models whose config sets none.
func WithThreads(n int) Option { return func(m *Manager) { m.threads = n } }

// WithDrainTimeout bounds how long a retired version waits for the
// requests using it before it is unloaded anyway (default 30s).
func WithDrainTimeout(d time.Duration) Option { return func(m *Manager) { m.drainTimeout = d } }

// WithPollInterval sets how often a repository directory is read again
// besides file notifications (default repository.DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(m *Manager) { m.poll = d } }

// WithSettle sets how long a new or changed model file must keep the same
// size and modification time before it is loaded (default 1s), so that a
// file still being copied is not loaded half-written.
func WithSettle(d time.Duration) Option { return func(m *Manager) { m.settle = d } }

// WithExplicitControl makes the manager load nothing by itself: models
// load and unload only through LoadModel and UnloadModel (Triton's
// --model-control-mode=explicit).
func WithExplicitControl(on bool) Option { return func(m *Manager) { m.explicit = on } }

// New returns an empty Manager.
func New(opts ...Option) *Manager {
	m := &Manager{
		log:           slog.Default(),
		defaultEngine: "native",
		drainTimeout:  30 * time.Second,
		settle:        time.Second,
		models:        map[string]*ServedModel{},
		overrides:     map[string]*overrides{},
		served:        map[string]bool{},
		kick:          make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(m)
	}
	if m.metrics == nil {
		m.metrics = newMetrics(nil)
	}
	m.shadows = newShadower(m)
	m.pipelines = pipeline.NewBuilder(m.registerer, m.log).WithSeries(m.series)
	m.metrics.series = m.series
	m.metrics.forgetSteps = m.pipelines.Forget
	return m
}

// LoadRepository serves the model repository in the directory root (see
// Load).
func (m *Manager) LoadRepository(ctx context.Context, root string) error {
	return m.Load(ctx, repository.NewDir(root, repository.WithPollInterval(m.poll), repository.WithLogger(m.log)))
}

// errNoRepository is returned by calls that need the repository before
// Load has been given one.
var errNoRepository = fmt.Errorf("%w: the model repository is not loaded yet", ErrUnavailable)

// Load reads the repository src and loads what the version policies
// select (nothing, under explicit control); Watch then follows it.
// Problems with a model or version are recorded on it and logged; the
// error is only for a repository that cannot be read at all.
func (m *Manager) Load(ctx context.Context, src repository.Source) error {
	m.syncMu.Lock()
	m.source, m.repo = src, repository.Settled(src, m.settle)
	m.mu.Lock()
	m.routing, _ = repository.Writer(src)
	m.mu.Unlock()
	m.syncMu.Unlock()
	err := m.Sync(ctx)
	m.mu.Lock()
	m.loaded = true
	m.mu.Unlock()
	return err
}

// Watch keeps the served versions in line with the repository until ctx
// is done: it syncs whenever the repository source says it may have
// changed (file notifications, polling, a file that may have settled) and
// when a label or traffic change unpins versions. Under explicit control
// it only waits, as models then change through LoadModel and UnloadModel.
func (m *Manager) Watch(ctx context.Context) error {
	if m.explicit {
		<-ctx.Done()
		return nil
	}
	m.syncMu.Lock()
	repo := m.repo
	m.syncMu.Unlock()
	if repo == nil {
		return errNoRepository
	}
	changes := repo.Watch(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-changes:
			if !ok {
				return nil
			}
		case <-m.kick:
		}
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("reading the model repository", "source", m.source.String(), "err", err)
		}
	}
}

func (m *Manager) requestSync() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Models returns the models sorted by name.
func (m *Manager) Models() []*ServedModel {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*ServedModel, 0, len(m.models))
	for _, mod := range m.models {
		out = append(out, mod)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Model returns the current snapshot of the named model. Before the first
// load of the repository has finished, a model not known yet is
// unavailable (503: ask again, or another replica), not missing (404).
func (m *Manager) Model(name string) (*ServedModel, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	mod, ok := m.models[name]
	switch {
	case !ok && !m.loaded && !m.modelsKnown:
		return nil, fmt.Errorf("%w: model %q: the model repository is still loading", ErrUnavailable, name)
	case !ok:
		return nil, fmt.Errorf("%w: model %q", ErrNotFound, name)
	}
	return mod, nil
}

// Resolve finds a version of the named model without taking a reference:
// for metadata. ref is "" for the default (highest AVAILABLE) version, a
// number ("3" or "v3"), or a version label.
func (m *Manager) Resolve(name, ref string) (*Version, error) {
	mod, err := m.Model(name)
	if err != nil {
		return nil, err
	}
	return mod.resolve(ref)
}

// Acquire resolves a version for a request and takes a reference that
// keeps it loaded until Release. ref is as for Resolve, except that "" goes
// through the model's traffic split, if it has one; key (a client or
// session id, may be empty) pins a client to one version of the split.
func (m *Manager) Acquire(name, ref, key string) (*Version, error) {
	for range 8 {
		mod, err := m.Model(name)
		if err != nil {
			return nil, err
		}
		var v *Version
		if ref == "" {
			v, err = mod.route(key)
		} else {
			v, err = mod.resolve(ref)
		}
		if err != nil {
			return nil, err
		}
		if v.acquire() {
			return v, nil
		}
		// Retired between reading the snapshot and acquiring: the snapshot
		// has been replaced already, so resolving again finds its successor.
	}
	return nil, fmt.Errorf("%w: model %q is being reloaded; retry", ErrUnavailable, name)
}

func (mod *ServedModel) resolve(ref string) (*Version, error) {
	if ref == "" {
		if v := mod.Default(); v != nil {
			return v, nil
		}
		return nil, mod.unavailable()
	}
	if n, ok := mod.labels[ref]; ok { // labels first: no error is made for a label
		if v := mod.Version(n); v != nil {
			return v, nil
		}
		return nil, fmt.Errorf("%w: label %q of model %q points at version %d, which is not loaded", ErrUnavailable, ref, mod.Name, n)
	}
	number, perr := model.ParseVersion(ref)
	if perr != nil {
		return nil, fmt.Errorf("%w: model %q has no version or label %q", ErrNotFound, mod.Name, ref)
	}
	if v := mod.Version(number); v != nil {
		return v, nil
	}
	return nil, fmt.Errorf("%w: model %q has no version %d", ErrNotFound, mod.Name, number)
}

func (mod *ServedModel) unavailable() error {
	switch {
	case mod.Unloaded:
		return fmt.Errorf("%w: model %q is not loaded", ErrUnavailable, mod.Name)
	case mod.Config == nil && mod.ConfigErr != nil:
		return fmt.Errorf("%w: model %q cannot serve: %v", ErrUnavailable, mod.Name, mod.ConfigErr)
	}
	return fmt.Errorf("%w: model %q has no AVAILABLE version", ErrUnavailable, mod.Name)
}

// Close unloads every version, waiting (up to the drain timeout) for the
// requests using them.
func (m *Manager) Close() error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	m.mu.Lock()
	models := m.models
	m.models = map[string]*ServedModel{}
	m.mu.Unlock()
	for _, mod := range models {
		for _, v := range mod.versions {
			m.retireVersion(v)
		}
		m.metrics.forget(mod.Name, mod)
	}
	m.retiring.Wait()
	m.shadows.wait()
	return nil
}
