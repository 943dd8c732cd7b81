package serving

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// A pipeline (config.yaml `platform: pipeline`, versions holding
// pipeline.yaml) is served like a model: it is planned, loaded, labelled,
// split and retired by the same code. Only its build differs: the manager
// hands the version's pipeline.yaml to package pipeline, which compiles it
// against the models served (through pipelineModels) into a runner, and
// serves that runner behind the same checks, shadow and codec.

// pipelineModels is the manager as package pipeline sees it.
type pipelineModels struct{ m *Manager }

// Resolve implements pipeline.Models. A pipeline's Calls are those of
// all its loaded versions and of its files (pipelineGraph), so that a
// step cannot close a cycle through any of them.
func (p pipelineModels) Resolve(name, ref string) (pipeline.Target, error) {
	pg := p.m.pipeGraph.Load()
	v, err := p.m.Resolve(name, ref)
	if err == nil && v.State() != StateAvailable && pg.cycle(name) != "" {
		err = fmt.Errorf("version %d is %s", v.Number, v.State())
	}
	if err != nil {
		if c := pg.cycle(name); c != "" {
			return pipeline.Target{}, fmt.Errorf("%w (pipelines calling each other in a cycle: %s)", err, c)
		}
		return pipeline.Target{}, err
	}
	st := v.Status()
	t := pipeline.Target{Number: v.Number, State: string(st.State), Available: st.State == StateAvailable,
		Pipeline: v.Config.IsPipeline(), Inputs: st.Inputs, Outputs: st.Outputs, ImageInput: v.Codec().ImageInput()}
	if v.Config != nil {
		t.Labels = v.Config.Labels
	}
	if t.Pipeline {
		t.Calls = p.m.pipelineCalls(name, pg)
	}
	return t, nil
}

// Acquire implements pipeline.Models.
func (p pipelineModels) Acquire(name, ref string) (pipeline.Member, error) {
	return p.m.Acquire(name, ref, "")
}

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
func (m *Manager) buildPipeline(v *Version, info *Info) (*servable, error) {
	info.Engine = model.PlatformPipeline
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
	r, err := m.pipelines.Build(pipeline.Version{Name: v.ModelName, Number: v.Number, File: name, Data: data, Models: pipelineModels{m}})
	if err != nil {
		return nil, err
	}
	cfg, err := m.pipelineConfig(v.Config, r)
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
func (m *Manager) pipelineConfig(cfg *model.Config, r *pipeline.Pipeline) (*model.Config, error) {
	if cfg.Preprocess != nil && cfg.Preprocess.Image != nil {
		img, err := checkImageInput(cfg.Preprocess.Image, r.Inputs())
		if err != nil {
			return nil, err
		}
		return withImage(cfg, img), nil
	}
	input, name, ref := r.ImageFeed()
	if input == "" {
		return cfg, nil
	}
	from, err := m.Resolve(name, ref)
	if err != nil {
		return cfg, nil // the pipeline takes tensors only; Check will say why
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
	// A pipeline that runs another sees its change on the next pass.
	for range len(m.Models()) + 1 {
		if !m.checkPipelinesOnce() {
			return
		}
	}
}

// checkPipelinesOnce is one pass of checkPipelines; it reports whether a
// version changed.
func (m *Manager) checkPipelinesOnce() (changed bool) {
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
			if !v.setDepErr(err) {
				continue
			}
			changed = true
			m.metrics.publish(mod, mod) // the state gauges follow
			if err != nil {
				m.log.Error("pipeline version cannot serve: a model it names changed", "pipeline", v.ModelName, "version", v.Number, "err", err)
			}
		}
	}
	return changed
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

// withDepsID makes each pipeline version's file identity depend on what
// the models and pipelines its file names serve (depsID): a pipeline
// version is built again, beside the one serving, when one of those
// changes, and only then. Pipelines not in with (those on a cycle with
// it) are left out.
func (m *Manager) withDepsID(entries []repository.Entry, deps map[depsKey][]string, with map[string]bool) []repository.Entry {
	ids := map[string]string{}
	out := make([]repository.Entry, len(entries))
	for i, e := range entries {
		e.Versions = append([]repository.VersionEntry(nil), e.Versions...)
		for j := range e.Versions {
			if ve := &e.Versions[j]; ve.Err == nil {
				ve.FileID += "|deps:" + m.depsID(deps[depsKey{e.Name, ve.File}], with, ids)
			}
		}
		out[i] = e
	}
	return out
}

// depsID identifies what the named models serve (servedID, cached in
// ids by name).
func (m *Manager) depsID(names []string, with map[string]bool, ids map[string]string) string {
	var b strings.Builder
	for _, name := range names {
		id, ok := ids[name]
		if !ok {
			id = m.servedID(name, with)
			ids[name] = id
		}
		b.WriteString(id)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// servedID identifies what a model serves: its versions, states, loads
// and labels, or that it is not served. A pipeline not in with counts
// as nothing.
func (m *Manager) servedID(name string, with map[string]bool) string {
	mod, err := m.Model(name)
	if err != nil {
		return name + " -;"
	}
	if mod.Config.IsPipeline() && !with[name] {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v;", mod.Name, mod.labels)
	for _, v := range mod.versions {
		fmt.Fprintf(&b, "%d %s %s,", v.Number, v.State(), v.key())
	}
	return b.String()
}
