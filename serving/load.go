package serving

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/inferd/inferd/batch"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/tensor"
)

// load opens v's model file in its engine and makes it AVAILABLE, or
// records why it FAILED.
func (m *Manager) load(ctx context.Context, v *Version) {
	start := time.Now()
	cfg := v.Config
	name := cfg.Engine
	if name == "" {
		name = m.defaultEngine
	}
	info := Info{Engine: name}
	fail := func(err error) {
		v.mu.Lock()
		v.state, v.err, v.info = StateFailed, err, info
		v.mu.Unlock()
		m.metrics.loadFails.WithLabelValues(v.Model, v.Label()).Inc()
	}
	eng, err := engine.Get(name)
	if err != nil {
		fail(err)
		return
	}
	info.SHA256, info.SizeBytes, err = repository.FileSHA256(v.Path)
	if err != nil {
		fail(err)
		return
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = m.threads
	}
	opts := engine.Options{IntraOpThreads: threads, InterOpThreads: cfg.InterOpThreads, Logger: m.log.With("model", v.Model, "version", v.Number)}
	var sessions []engine.Session
	closeAll := func() {
		for _, s := range sessions {
			_ = s.Close()
		}
	}
	for i := range max(cfg.Instances, 1) {
		sess, err := engine.LoadPath(ctx, eng, v.Path, opts)
		if err != nil {
			closeAll()
			fail(fmt.Errorf("loading %s with engine %s (instance %d): %w", v.Path, name, i+1, err))
			return
		}
		sessions = append(sessions, sess)
	}
	inputs, err := reconcile("inputs", cfg.Inputs, sessions[0].Inputs())
	var outputs []engine.TensorInfo
	if err == nil {
		outputs, err = reconcile("outputs", cfg.Outputs, sessions[0].Outputs())
	}
	if err == nil && cfg.Preprocess != nil && cfg.Preprocess.Image != nil {
		err = checkImageInput(cfg.Preprocess.Image, inputs)
	}
	if err == nil && cfg.Batching != nil {
		err = checkBatchable(inputs, outputs)
	}
	if err != nil {
		closeAll()
		fail(fmt.Errorf("config.yaml does not match %s: %w", v.Path, err))
		return
	}
	if w := cfg.Warmup; w != nil {
		for _, sess := range sessions {
			if err := v.warmup(ctx, sess, inputs, w); err != nil {
				closeAll()
				fail(fmt.Errorf("warmup: %w", err))
				return
			}
		}
	}
	obs := m.metrics.observer(v.Model, v.Label())
	var batcher *batch.Batcher
	if b := cfg.Batching; b != nil {
		run := func(ctx context.Context, instance int, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
			return sessions[instance%len(sessions)].Run(ctx, in)
		}
		batcher, err = batch.New(batch.Config{
			MaxBatchSize: b.MaxBatchSize, MaxQueueDelay: b.MaxQueueDelay, PreferredBatchSizes: b.PreferredBatchSizes,
			MaxQueueSize: b.MaxQueueSize, Instances: len(sessions),
			InFlight: func() int { return int(v.inflight.Load()) },
		}, run, obs)
		if err != nil {
			closeAll()
			fail(fmt.Errorf("batching: %w", err))
			return
		}
	}
	info.LoadedAt = time.Now()
	info.LoadDuration = info.LoadedAt.Sub(start)
	v.mu.Lock()
	v.sessions, v.batcher, v.observer = sessions, batcher, obs
	v.inputs, v.outputs, v.info = inputs, outputs, info
	v.state, v.err = StateAvailable, nil
	v.mu.Unlock()
	m.metrics.loadSeconds.WithLabelValues(v.Model, v.Label()).Set(info.LoadDuration.Seconds())
	m.log.Info("model version loaded", "model", v.Model, "version", v.Number, "engine", name, "duration", info.LoadDuration)
}

// newVersion returns a version in state LOADING with the pre- and
// postprocessing its config describes.
func newVersion(name string, number int, path string, cfg *model.Config) *Version {
	v := &Version{Model: name, Number: number, Path: path, Config: cfg, state: StateLoading}
	if cfg == nil {
		return v
	}
	if cfg.Preprocess != nil && cfg.Preprocess.Image != nil {
		v.image = preprocess.NewImage(cfg.Preprocess.Image)
	}
	if p := cfg.Postprocess; p != nil {
		v.classify = &preprocess.Classifier{Softmax: p.Softmax, TopK: p.TopK, Labels: cfg.Labels}
	}
	return v
}

// checkBatchable checks that every input and output has a variable first
// dimension that batching can grow.
func checkBatchable(inputs, outputs []engine.TensorInfo) error {
	for _, infos := range [][]engine.TensorInfo{inputs, outputs} {
		for _, in := range infos {
			if len(in.Shape) == 0 || in.Shape[0] != -1 {
				return fmt.Errorf("batching: %q has shape %v; batching needs a variable first (batch) dimension", in.Name, in.Shape)
			}
		}
	}
	return nil
}

// unload closes the version's batcher (its queued requests run first) and
// sessions; it reports whether there was anything to unload.
func (v *Version) unload() (bool, error) {
	v.runMu.Lock() // wait for runs in flight
	defer v.runMu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.sessions) == 0 {
		return false, nil
	}
	if v.batcher != nil {
		v.batcher.Close()
	}
	var errs []error
	for _, s := range v.sessions {
		errs = append(errs, s.Close())
	}
	err := errors.Join(errs...)
	v.sessions, v.batcher, v.state = nil, nil, StateUnloaded
	return true, err
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
		} else if a.Shape != nil && !compatible(d.Shape, a.Shape) {
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

// compatible reports whether two declared shapes can describe the same
// tensors: same rank, equal where both are fixed.
func compatible(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] >= 0 && b[i] >= 0 && a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkImageInput checks the image preprocessing against the effective
// shape of its input, which may come from the model file.
func checkImageInput(p *model.ImagePreprocess, inputs []engine.TensorInfo) error {
	for _, in := range inputs {
		if in.Name == p.Input {
			if err := p.CheckInput(model.TensorSpec{Name: in.Name, DataType: in.DType, Shape: in.Shape}); err != nil {
				return fmt.Errorf("preprocess.image.%w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("preprocess.image.input: the model has no input %q", p.Input)
}
