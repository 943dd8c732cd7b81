package pipeline

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/engine"
)

// Builder builds pipeline versions for the serving manager: it parses
// pipeline.yaml, compiles it against the models served, and measures
// every step.
type Builder struct {
	log     *slog.Logger
	helpers *helpers
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
	series  *series.Store // the console's copy (nil: none)
}

// NewBuilder returns a Builder whose step metrics are registered with r
// (nil: not registered) and that logs to log (nil: slog.Default()):
// inferd_pipeline_step_seconds and inferd_pipeline_step_errors_total,
// labelled pipeline, version and step.
func NewBuilder(r prometheus.Registerer, log *slog.Logger) *Builder {
	if log == nil {
		log = slog.Default()
	}
	lv := []string{"pipeline", "version", "step"}
	b := &Builder{
		log:     log,
		helpers: newHelpers(),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "inferd_pipeline_step_seconds", Help: "Time each pipeline step took (model steps include their batching queue).",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, lv),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inferd_pipeline_step_errors_total", Help: "Pipeline steps that failed (soft steps included; skipped steps are not errors).",
		}, lv),
	}
	if r != nil {
		r.MustRegister(b.seconds, b.errors)
	}
	return b
}

// WithSeries also records every step's time and errors in the console's
// ring buffer; it returns b.
func (b *Builder) WithSeries(s *series.Store) *Builder { b.series = s; return b }

// Forget drops the step metrics of a pipeline version (version is its
// number), once the version has left the served ones: the serving manager
// calls it as it drops a model version's series.
func (b *Builder) Forget(name, version string) {
	labels := prometheus.Labels{"pipeline": name, "version": version}
	b.seconds.DeletePartialMatch(labels)
	b.errors.DeletePartialMatch(labels)
}

// stepObserver is a step's metrics, bound to its labels once.
type stepObserver struct {
	seconds prometheus.Observer
	errors  prometheus.Counter
	series  *series.Series
}

// Version is one pipeline version to build.
type Version struct {
	Name   string
	Number int
	// File names the spec in messages (digits-ensemble/1/pipeline.yaml);
	// Data is its content.
	File string
	Data []byte
	// Models resolves the models the steps name: when building, for their
	// declarations; on each run, to acquire the version that runs.
	Models Models
}

// Build parses and compiles a pipeline version. Errors name the file,
// and the step and tensor at fault.
func (b *Builder) Build(spec Version) (*Pipeline, error) {
	s, err := Parse(spec.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	g, err := compile(s, spec.Name, spec.Models)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	p := &Pipeline{name: spec.Name, version: spec.Number, g: g, models: spec.Models, log: b.log, helpers: b.helpers}
	version := strconv.Itoa(spec.Number)
	for _, n := range g.nodes {
		p.obs = append(p.obs, stepObserver{
			seconds: b.seconds.WithLabelValues(spec.Name, version, n.name),
			errors:  b.errors.WithLabelValues(spec.Name, version, n.name),
			series:  b.series.Series(spec.Name, version, n.name),
		})
	}
	return p, nil
}

// Check says whether every model step's model and version still resolve
// to an AVAILABLE version whose declarations are those the step was
// compiled against; the error names the step.
func (p *Pipeline) Check() error {
	for _, n := range p.g.nodes {
		if n.op != nil {
			continue
		}
		st, err := p.models.Resolve(n.model, n.version)
		if err != nil {
			return fmt.Errorf("step %q: model %q: %w", n.name, n.model, err)
		}
		if !st.Available {
			return fmt.Errorf("step %q: model %q version %d is %s", n.name, n.model, st.Number, st.State)
		}
		if err := sameInfos(n.in, st.Inputs); err != nil {
			return fmt.Errorf("step %q: model %q version %d: inputs changed: %w", n.name, n.model, st.Number, err)
		}
		if err := sameInfos(n.outs, st.Outputs); err != nil {
			return fmt.Errorf("step %q: model %q version %d: outputs changed: %w", n.name, n.model, st.Number, err)
		}
	}
	return nil
}

// sameInfos checks that now declares every tensor of was, with the same
// datatype and a compatible shape.
func sameInfos(was, now []engine.TensorInfo) error {
	if len(was) != len(now) {
		return fmt.Errorf("%s became %s", strings.Join(engine.InfoNames(was), ", "), strings.Join(engine.InfoNames(now), ", "))
	}
	for _, w := range was {
		i := engine.IndexInfo(now, w.Name)
		if i < 0 {
			return fmt.Errorf("%q is gone", w.Name)
		}
		if err := fits(now[i], w); err != nil {
			return err
		}
	}
	return nil
}

// Calls are the pipelines this one runs, directly or through others,
// sorted.
func (p *Pipeline) Calls() []string {
	var calls []string
	for _, n := range p.g.nodes {
		if n.op == nil && n.at.Pipeline {
			calls = append(append(calls, n.model), n.at.Calls...)
		}
	}
	slices.Sort(calls)
	return slices.Compact(calls)
}

// ImageFeed names the first pipeline input that a model step takes, as
// it is, for that model's image input, and the model and version of that
// step, so that the pipeline can take images as that model does ("" when
// there is none).
func (p *Pipeline) ImageFeed() (input, model, version string) {
	for _, n := range p.g.nodes {
		img := n.at.ImageInput
		if r, ok := n.inputs[img]; ok && n.op == nil && img != "" && r.step == "" {
			return r.tensor, n.model, n.version
		}
	}
	return "", "", ""
}
