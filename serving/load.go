package serving

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"time"

	"github.com/inferd/inferd/batch"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
)

// DefaultLoadTimeout bounds one version's load when WithLoadTimeout does
// not say otherwise.
const DefaultLoadTimeout = 5 * time.Minute

// loadLimits bound what loading one version may take.
type loadLimits struct {
	// timeout bounds the load (0: DefaultLoadTimeout, < 0: none).
	timeout time.Duration
	// tensorBytes and modelBytes are the engine's limits
	// (engine.Options.MaxTensorBytes and MaxModelBytes).
	tensorBytes, modelBytes int64
	// runRows bounds the rows of one engine run (0: DefaultMaxRunRows,
	// < 0: no bound); a model's max_run_rows overrides it.
	runRows int
}

// DefaultMaxRunRows is the most rows one engine run takes when
// WithMaxRunRows does not say otherwise: larger requests run in slices.
const DefaultMaxRunRows = 256

// WithMaxRunRows bounds the rows of one engine run for models whose rows
// are independent (a variable first dimension on every input and output):
// a larger request runs as consecutive slices of at most n rows, so the
// engine's working memory no longer grows with the request. Default
// DefaultMaxRunRows; a negative n means no bound. A model's config.yaml
// max_run_rows overrides it.
func WithMaxRunRows(n int) Option { return func(m *Manager) { m.limits.runRows = n } }

// maxRunRows is the bound on one run's rows for a version (0: none).
func (m *Manager) maxRunRows(cfg *model.Config) int {
	n := cmp.Or(cfg.MaxRunRows, m.limits.runRows, DefaultMaxRunRows)
	if b := cfg.Batching; b != nil && n > 0 {
		n = min(n, b.MaxBatchSize)
	}
	return max(n, 0)
}

// WithLoadTimeout bounds how long loading one version may take (reading
// the file, opening the sessions, warming up); default DefaultLoadTimeout,
// and a negative d means no bound. A load that takes longer FAILS with an
// error saying so, and the sync goes on with the other models; the load
// itself is abandoned: engines stop at their next check of the context,
// and whatever finishes later is closed.
func WithLoadTimeout(d time.Duration) Option { return func(m *Manager) { m.limits.timeout = d } }

// WithEngineLimits sets the memory limits of the engines' sessions:
// engine.Options.MaxTensorBytes (one tensor of a run, 0 for the engine's
// default) and MaxModelBytes (what a model takes while it loads).
func WithEngineLimits(maxTensorBytes, maxModelBytes int64) Option {
	return func(m *Manager) { m.limits.tensorBytes, m.limits.modelBytes = maxTensorBytes, maxModelBytes }
}

// load opens v's model file in its engine and makes it AVAILABLE, or
// records why it FAILED.
func (m *Manager) load(ctx context.Context, v *Version) {
	start := time.Now()
	info := Info{Engine: cmp.Or(v.Config.Engine, m.defaultEngine)}
	data, err := m.buildTimed(ctx, v, &info)
	if err != nil {
		v.mu.Lock()
		v.state, v.err, v.info = StateFailed, err, info
		v.mu.Unlock()
		m.metrics.loadFails.WithLabelValues(v.ModelName, v.Label()).Inc()
		return
	}
	info.LoadedAt = time.Now()
	info.LoadDuration = info.LoadedAt.Sub(start)
	v.setAvailable(data, info)
	m.markServed(v.ModelName)
	m.metrics.loadSeconds.WithLabelValues(v.ModelName, v.Label()).Set(info.LoadDuration.Seconds())
	m.log.Info("model version loaded", "model", v.ModelName, "version", v.Number, "engine", info.Engine, "duration", info.LoadDuration)
}

// errLoadTimeout is the cause of a load's context when the load timeout
// passes.
var errLoadTimeout = errors.New("load timeout")

// buildTimed is build bounded by the load timeout. A build that does not
// return in time is abandoned: it goes on in the background (an engine may
// be blocked in a read that no context stops) and closes what it made when
// it ends, while the version FAILS at once, so that the other models load.
func (m *Manager) buildTimed(ctx context.Context, v *Version, info *Info) (*servable, error) {
	timeout := m.limits.timeout
	switch {
	case timeout < 0:
		return m.build(ctx, v, info)
	case timeout == 0:
		timeout = DefaultLoadTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errLoadTimeout)
	type result struct {
		data *servable
		info Info
		err  error
	}
	done := make(chan result, 1)
	go func() {
		r := result{info: *info}
		r.data, r.err = m.build(ctx, v, &r.info)
		done <- r
	}()
	select {
	case r := <-done:
		cancel()
		*info = r.info
		return r.data, r.err
	case <-ctx.Done():
	}
	go func() {
		defer cancel()
		if r := <-done; r.data != nil {
			r.data.close()
			m.log.Warn("an abandoned load finished; closed it", "model", v.ModelName, "version", v.Number)
		}
	}()
	if !errors.Is(context.Cause(ctx), errLoadTimeout) {
		return nil, ctx.Err()
	}
	m.log.Error("loading took longer than the load timeout; abandoned", "model", v.ModelName, "version", v.Number, "timeout", timeout)
	return nil, fmt.Errorf("loading took longer than the load timeout (%v); abandoned", timeout)
}

// build reads the model file from the repository, opens the configured
// number of sessions, checks config.yaml against the model, warms the
// sessions up and composes the version's runner.
func (m *Manager) build(ctx context.Context, v *Version, info *Info) (*servable, error) {
	if v.Config.IsPipeline() {
		return m.buildPipeline(v, info)
	}
	eng, err := engine.Get(info.Engine)
	if err != nil {
		return nil, err
	}
	fsys, err := m.source.FS(v.ModelName)
	if err != nil {
		return nil, err
	}
	file, err := m.readModel(fsys, v)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(file.Data)
	info.SHA256, info.SizeBytes = hex.EncodeToString(sum[:]), int64(len(file.Data))
	sessions, err := m.openSessions(ctx, eng, file, v)
	if err != nil {
		return nil, err
	}
	data, err := m.prepare(ctx, fsys, v, file.Name, sessions)
	if err != nil {
		closeSessions(sessions)
		return nil, err
	}
	if err := m.accept(ctx, fsys, v, data); err != nil {
		data.close()
		return nil, err
	}
	return data, nil
}

// readModel reads a version's model file; the files beside it stay
// reachable for external data (as a local directory when the repository
// is one, for engines that need paths).
func (m *Manager) readModel(fsys fs.FS, v *Version) (engine.ModelFile, error) {
	name := path.Join(v.ModelName, v.file.File)
	data, err := fs.ReadFile(fsys, v.file.File)
	if err != nil {
		return engine.ModelFile{}, fmt.Errorf("reading %s: %w", name, err)
	}
	var dir fs.FS
	if local, ok := repository.LocalDir(m.source, v.ModelName); ok {
		dir = engine.DirFS(filepath.Join(local, filepath.FromSlash(path.Dir(v.file.File))))
	} else if dir, err = fs.Sub(fsys, path.Dir(v.file.File)); err != nil {
		return engine.ModelFile{}, fmt.Errorf("reading %s: %w", name, err)
	}
	return engine.ModelFile{Name: name, Data: data, Dir: dir}, nil
}

// openSessions loads the model once per configured instance.
func (m *Manager) openSessions(ctx context.Context, eng engine.Engine, file engine.ModelFile, v *Version) ([]engine.Session, error) {
	cfg := v.Config
	opts := engine.Options{
		IntraOpThreads: instanceThreads(cfg.Threads, m.threads, cfg.Instances, runtime.GOMAXPROCS(0)), InterOpThreads: cfg.InterOpThreads,
		Logger:         m.log.With("model", v.ModelName, "version", v.Number),
		MaxTensorBytes: m.limits.tensorBytes, MaxModelBytes: m.limits.modelBytes,
	}
	var sessions []engine.Session
	for i := range max(cfg.Instances, 1) {
		sess, err := eng.Load(ctx, file, opts)
		if err != nil {
			closeSessions(sessions)
			return nil, fmt.Errorf("loading %s with engine %s (instance %d): %w", file.Name, eng.Name(), i+1, err)
		}
		sessions = append(sessions, sess)
	}
	return sessions, nil
}

// instanceThreads is the intra-op threads of each of a version's
// instances: the config's threads if it sets them; else the version's
// share of the server's (--threads, else procs, the cores Go runs on):
// instances run at once, each batch or request on its own session, so
// that sessions each taking every core would run twice as many threads
// as there are cores under load, and split each batch across cores that
// are already busy with the other instance's. On two cores, the
// transformer of bench/run.sh with batching on two instances served
// 16-18 thousand requests per second at 64 connections with one thread
// each, against 14 thousand with two each (12 thousand without
// batching). Zero leaves the engine its default.
func instanceThreads(config, server, instances, procs int) int {
	if config > 0 || instances <= 1 {
		return cmp.Or(config, server)
	}
	return max(1, cmp.Or(server, procs)/instances)
}

func closeSessions(sessions []engine.Session) {
	for _, s := range sessions {
		_ = s.Close()
	}
}

// prepare checks config.yaml against the loaded model, warms the sessions
// up and composes the version's runner.
func (m *Manager) prepare(ctx context.Context, fsys fs.FS, v *Version, file string, sessions []engine.Session) (*servable, error) {
	cfg := v.Config
	inputs, outputs, img, err := declarations(cfg, sessions[0])
	if err != nil {
		return nil, fmt.Errorf("config.yaml does not match %s: %w", file, err)
	}
	effective := withImage(cfg, img)
	c := codec.New(v.ModelName, effective, inputs, outputs)
	if w := cfg.Warmup; w != nil {
		feed, err := warmupInputs(fsys, c, w)
		if err != nil {
			return nil, fmt.Errorf("warmup: %w", err)
		}
		for _, sess := range sessions {
			if err := warmup(ctx, sess, feed, w.Runs); err != nil {
				return nil, fmt.Errorf("warmup: %w", err)
			}
		}
	}
	s, err := m.compose(v, c, sessions)
	if s != nil {
		s.cfg = effective
	}
	return s, err
}

// compose builds the version's runner: input checks, then the shadow (if
// the config names one), then batching or per-call timing, then the pool
// of sessions.
func (m *Manager) compose(v *Version, c *codec.Codec, sessions []engine.Session) (*servable, error) {
	cfg := v.Config
	pool := runner.NewPool(fmt.Sprintf("model %q version %d", v.ModelName, v.Number), sessions)
	obs := m.metrics.observer(v.ModelName, v.Label())
	s := &servable{model: v.ModelName, codec: c, pool: pool}
	calls := runner.Timed(obs)
	if b := cfg.Batching; b != nil {
		var err error
		s.batch, err = batch.New(batch.Config{
			MaxBatchSize: b.MaxBatchSize, MaxQueueDelay: b.MaxQueueDelay, PreferredBatchSizes: b.PreferredBatchSizes,
			MaxQueueSize: b.MaxQueueSize, Instances: pool.Size(),
			InFlight: func() int { return int(v.inflight.Load()) },
		}, pool.RunOn, obs)
		if err != nil {
			return nil, fmt.Errorf("batching: %w", err)
		}
		calls = s.batch.Wrap()
	}
	check := runner.Check(c.Inputs(), c.Outputs(), func(name string) bool {
		spec, ok := cfg.Input(name)
		return ok && spec.AllowNaN
	})
	split := runner.Split(m.maxRunRows(cfg), c.Inputs(), c.Outputs())
	s.direct = runner.Chain(pool, check, split, calls)
	var capture runner.Wrapper // payload capture sees what the client sent and got
	if m.capture != nil {
		capture = m.capture(v)
		s.captured = capture != nil
	}
	s.run = runner.Chain(pool, check, capture, m.shadows.wrap(v), split, calls)
	return s, nil
}

// declarations checks config.yaml's declarations against the model's and
// returns the effective ones, checking what image preprocessing and
// batching need of them. img is the image preprocessing completed from the
// effective image input (nil without image preprocessing).
func declarations(cfg *model.Config, sess engine.Session) (inputs, outputs []engine.TensorInfo, img *model.ImagePreprocess, err error) {
	if inputs, err = reconcile("inputs", cfg.Inputs, sess.Inputs()); err != nil {
		return nil, nil, nil, err
	}
	if outputs, err = reconcile("outputs", cfg.Outputs, sess.Outputs()); err != nil {
		return nil, nil, nil, err
	}
	if cfg.Preprocess != nil && cfg.Preprocess.Image != nil {
		if img, err = checkImageInput(cfg.Preprocess.Image, inputs); err != nil {
			return nil, nil, nil, err
		}
	}
	if cfg.Batching != nil {
		if err := checkBatchable(inputs, outputs); err != nil {
			return nil, nil, nil, err
		}
	}
	return inputs, outputs, img, nil
}

// withImage returns cfg with its image preprocessing replaced by img, the
// one completed at load, without changing cfg (the versions of a model
// share it).
func withImage(cfg *model.Config, img *model.ImagePreprocess) *model.Config {
	if img == nil {
		return cfg
	}
	c, pre := *cfg, *cfg.Preprocess
	pre.Image = img
	c.Preprocess = &pre
	return &c
}

// checkBatchable checks that every input and output has a variable first
// dimension that batching can grow.
func checkBatchable(inputs, outputs []engine.TensorInfo) error {
	if in, fixed := runner.FixedRows(inputs, outputs); fixed {
		return fmt.Errorf("batching: %q has shape %v; batching needs a variable first (batch) dimension", in.Name, in.Shape)
	}
	return nil
}

// reconcile checks the config's declarations against the model's and
// returns the effective ones: the config's where it declares tensors (they
// may narrow variable dimensions), else the model's.
func reconcile(key string, declared []model.TensorSpec, actual []engine.TensorInfo) ([]engine.TensorInfo, error) {
	if len(declared) == 0 {
		return actual, nil
	}
	byName := map[string]engine.TensorInfo{}
	for _, a := range actual {
		byName[a.Name] = a
	}
	out := make([]engine.TensorInfo, 0, len(declared))
	for i, d := range declared {
		a, ok := byName[d.Name]
		if !ok {
			return nil, fmt.Errorf("%s[%d]: the model has no %s named %q (it has %v)", key, i, key[:len(key)-1], d.Name, engine.InfoNames(actual))
		}
		if a.DType != d.DataType {
			return nil, fmt.Errorf("%s[%d]: %q is %v in config.yaml but %v in the model", key, i, d.Name, d.DataType, a.DType)
		}
		shape := d.Shape
		if shape == nil {
			shape = a.Shape
		} else if a.Shape != nil && !engine.ShapesCompatible(d.Shape, a.Shape) {
			return nil, fmt.Errorf("%s[%d]: %q has shape %v in config.yaml but %v in the model", key, i, d.Name, d.Shape, a.Shape)
		}
		out = append(out, engine.TensorInfo{Name: d.Name, DType: d.DataType, Shape: shape})
		delete(byName, d.Name)
	}
	for _, a := range actual {
		if _, left := byName[a.Name]; left {
			return nil, fmt.Errorf("%s: the model's %q is not declared in config.yaml", key, a.Name)
		}
	}
	return out, nil
}

// checkImageInput completes the image preprocessing from the effective
// inputs, which may come from the model file, and checks it against the
// image input.
func checkImageInput(p *model.ImagePreprocess, inputs []engine.TensorInfo) (*model.ImagePreprocess, error) {
	specs := make([]model.TensorSpec, len(inputs))
	for i, in := range inputs {
		specs[i] = model.TensorSpec{Name: in.Name, DataType: in.DType, Shape: in.Shape}
	}
	img, err := p.ForModel(specs)
	if err != nil {
		return nil, fmt.Errorf("preprocess.image.%w", err)
	}
	return img, nil
}

// close releases a servable that was never published (an abandoned load).
func (s *servable) close() {
	if s.batch != nil {
		s.batch.Close()
	}
	if s.pool != nil {
		_, _ = s.pool.Close()
	}
}
