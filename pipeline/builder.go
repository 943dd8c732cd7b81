package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving"
)

// Builder builds pipeline versions for the serving manager
// (serving.WithPipelines): it parses pipeline.yaml, compiles it against
// the models served, and measures every step.
type Builder struct {
	log     *slog.Logger
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

var _ serving.PipelineBuilder = (*Builder)(nil)

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
		log: log,
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

// stepObserver is a step's metrics, bound to its labels once.
type stepObserver struct {
	seconds prometheus.Observer
	errors  prometheus.Counter
}

// Build implements serving.PipelineBuilder.
func (b *Builder) Build(_ context.Context, spec serving.PipelineSpec) (serving.PipelineRunner, error) {
	s, err := Parse(spec.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	g, err := compile(s, spec.Models)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.File, err)
	}
	p := &Pipeline{name: spec.Name, version: spec.Version, g: g, models: spec.Models, log: b.log}
	version := strconv.Itoa(spec.Version)
	for _, n := range g.nodes {
		p.obs = append(p.obs, stepObserver{
			seconds: b.seconds.WithLabelValues(spec.Name, version, n.name),
			errors:  b.errors.WithLabelValues(spec.Name, version, n.name),
		})
	}
	return p, nil
}

// Check implements serving.PipelineRunner: every model step's model and
// version still resolve to an AVAILABLE version whose declarations are
// those the step was compiled against.
func (p *Pipeline) Check() error {
	for _, n := range p.g.nodes {
		if n.op != nil {
			continue
		}
		v, err := p.models.Resolve(n.model, n.version)
		if err != nil {
			return fmt.Errorf("step %q: model %q: %w", n.name, n.model, err)
		}
		st := v.Status()
		if st.State != serving.StateAvailable {
			return fmt.Errorf("step %q: model %q version %d is %s", n.name, n.model, v.Number, st.State)
		}
		if err := sameInfos(n.in, st.Inputs); err != nil {
			return fmt.Errorf("step %q: model %q version %d: inputs changed: %w", n.name, n.model, v.Number, err)
		}
		if err := sameInfos(n.outs, st.Outputs); err != nil {
			return fmt.Errorf("step %q: model %q version %d: outputs changed: %w", n.name, n.model, v.Number, err)
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

// ImageFeed implements serving.PipelineRunner: the first pipeline input
// that a model step takes, as it is, for that model's image input.
func (p *Pipeline) ImageFeed() (string, *serving.Version) {
	for _, n := range p.g.nodes {
		if n.at == nil {
			continue
		}
		img := n.at.Codec().ImageInput()
		if r, ok := n.inputs[img]; ok && img != "" && r.step == "" {
			return r.tensor, n.at
		}
	}
	return "", nil
}
