package serving

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// A pipeline (config.yaml `platform: pipeline`, versions holding
// pipeline.yaml) is served like a model: it is planned, loaded, labelled,
// split and retired by the same code. Only its build differs: the manager
// hands the version's pipeline.yaml to a PipelineBuilder (package
// pipeline, given by WithPipelines) and serves the runner it returns
// behind the same checks, shadow and codec. This file is that hook.

// PipelineBuilder builds the runner of a pipeline version. Package
// pipeline implements it; serving knows nothing of the format.
type PipelineBuilder interface {
	Build(ctx context.Context, spec PipelineSpec) (PipelineRunner, error)
}

// PipelineSpec is one pipeline version to build.
type PipelineSpec struct {
	Name    string
	Version int
	// File names the spec in messages (digits-ensemble/1/pipeline.yaml);
	// Data is its content.
	File string
	Data []byte
	// Models resolves the models the steps name: when building, for their
	// declarations; on each run, to acquire the version that runs.
	Models Models
}

// Models is what a pipeline needs of the manager (*Manager implements
// it): Resolve and Acquire, as for requests.
type Models interface {
	Resolve(name, ref string) (*Version, error)
	Acquire(name, ref, key string) (*Version, error)
}

// PipelineRunner is a pipeline version's runner.
type PipelineRunner interface {
	runner.Runner
	// Check says whether the versions the steps name still resolve to
	// AVAILABLE versions that fit the graph. The manager calls it after
	// each sync: while it fails, the pipeline version is FAILED with its
	// error (a pinned version that went away fails only the pipelines
	// pinning it).
	Check() error
	// ImageFeed names the pipeline input that feeds a model's image input
	// as it is, and that model's version, so that a pipeline whose config
	// has no preprocess section takes images as that model does ("" and
	// nil when there is none).
	ImageFeed() (input string, from *Version)
}

// WithPipelines lets the manager serve pipelines, built by b.
func WithPipelines(b PipelineBuilder) Option { return func(m *Manager) { m.pipelines = b } }

// Run runs tensors through the version's runner (input checks, shadow,
// batching or timing, sessions) without the codec: what a pipeline step
// calls. The caller holds the version (Acquire).
func (v *Version) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	s, err := v.servable()
	if err != nil {
		return nil, err
	}
	return s.run.Run(ctx, inputs)
}

// buildPipeline builds a pipeline version: its pipeline.yaml through the
// PipelineBuilder, then the checks, shadow and codec a model has.
func (m *Manager) buildPipeline(ctx context.Context, v *Version, info *Info) (*servable, error) {
	info.Engine = model.PlatformPipeline
	if m.pipelines == nil {
		return nil, errors.New("platform pipeline: this server was built without pipeline support (serving.WithPipelines)")
	}
	fsys, err := m.source.FS(v.ModelName)
	if err != nil {
		return nil, err
	}
	name := path.Join(v.ModelName, v.file.File)
	data, err := fs.ReadFile(fsys, v.file.File)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	info.SHA256, info.SizeBytes = hex.EncodeToString(sum[:]), int64(len(data))
	r, err := m.pipelines.Build(ctx, PipelineSpec{Name: v.ModelName, Version: v.Number, File: name, Data: data, Models: m})
	if err != nil {
		return nil, err
	}
	cfg, err := pipelineConfig(v.Config, r)
	if err != nil {
		return nil, err
	}
	c := codec.New(v.ModelName, cfg, r.Inputs(), r.Outputs())
	check := runner.Check(r.Inputs(), r.Outputs(), nil)
	return &servable{model: v.ModelName, codec: c, cfg: cfg, pipe: r,
		direct: runner.Chain(r, check), run: runner.Chain(r, check, m.shadows.wrap(v))}, nil
}

// pipelineConfig is the config a pipeline version's codec works from: its
// own preprocess section completed from the pipeline's inputs, or else the
// image preprocessing of the model its image input feeds.
func pipelineConfig(cfg *model.Config, r PipelineRunner) (*model.Config, error) {
	if cfg.Preprocess != nil && cfg.Preprocess.Image != nil {
		img, err := checkImageInput(cfg.Preprocess.Image, r.Inputs())
		if err != nil {
			return nil, err
		}
		return withImage(cfg, img), nil
	}
	input, from := r.ImageFeed()
	if from == nil {
		return cfg, nil
	}
	from.mu.RLock()
	d := from.data
	from.mu.RUnlock()
	if d == nil || d.cfg == nil || d.cfg.Preprocess == nil || d.cfg.Preprocess.Image == nil {
		return cfg, nil
	}
	img := *d.cfg.Preprocess.Image
	img.Input = input
	c := *cfg
	c.Preprocess = &model.Preprocess{Image: &img}
	return &c, nil
}

// checkPipelines asks every loaded pipeline version whether the versions
// its steps name still fit, and marks it FAILED (or AVAILABLE again) by
// the answer. Sync calls it after the models and before the pipelines.
func (m *Manager) checkPipelines() {
	for _, mod := range m.Models() {
		if !mod.Config.IsPipeline() {
			continue
		}
		for _, v := range mod.versions {
			v.mu.RLock()
			d := v.data
			v.mu.RUnlock()
			if d == nil || d.pipe == nil {
				continue
			}
			err := d.pipe.Check()
			if v.setDepErr(err) && err != nil {
				m.log.Error("pipeline version cannot serve: a model it names changed", "pipeline", v.ModelName, "version", v.Number, "err", err)
			}
		}
	}
}

// setDepErr records whether the version's pipeline steps still resolve;
// it reports whether that changed.
func (v *Version) setDepErr(err error) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	changed := (v.depErr == nil) != (err == nil)
	v.depErr = err
	return changed
}

// splitPipelines separates the pipeline entries from the models: a sync
// brings the models in line first, so that pipelines build against them.
func splitPipelines(entries []repository.Entry) (models, pipelines []repository.Entry) {
	for _, e := range entries {
		if e.Config.IsPipeline() {
			pipelines = append(pipelines, e)
		} else {
			models = append(models, e)
		}
	}
	return models, pipelines
}

// withModelsID makes each pipeline version's file identity depend on the
// models served (modelsID): a pipeline version is built again, beside the
// one serving, when the models it may name change.
func withModelsID(entries []repository.Entry, id string) []repository.Entry {
	out := make([]repository.Entry, len(entries))
	for i, e := range entries {
		e.Versions = append([]repository.VersionEntry(nil), e.Versions...)
		for j := range e.Versions {
			if e.Versions[j].Err == nil {
				e.Versions[j].FileID += "|models:" + id
			}
		}
		out[i] = e
	}
	return out
}

// modelsID identifies what the models serve: their versions, states,
// loads and labels. Pipelines are left out.
func (m *Manager) modelsID() string {
	var b strings.Builder
	for _, mod := range m.Models() {
		if mod.Config.IsPipeline() {
			continue
		}
		fmt.Fprintf(&b, "%s %v;", mod.Name, mod.labels)
		for _, v := range mod.versions {
			fmt.Fprintf(&b, "%d %s %s,", v.Number, v.State(), v.key())
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}
