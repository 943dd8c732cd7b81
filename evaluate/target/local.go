package target

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// Local is one version of a repository model loaded in this process.
type Local struct {
	manager *serving.Manager
	version *serving.Version
	model   *evaluate.Model
	output  string
	softmax bool
	// spare is RunTensor's request, reused by the next call: taken with
	// Swap, so that calls at the same time each have their own.
	spare atomic.Pointer[serving.Request]
	// mu guards warmed: the batch sizes Warm has run.
	mu     sync.Mutex
	warmed map[int]bool
}

var (
	_ evaluate.Target          = (*Local)(nil)
	_ evaluate.TensorPredictor = (*Local)(nil)
	_ evaluate.Warmer          = (*Local)(nil)
)

// warmRuns is how many runs Warm makes: perf.DefaultWarmup's count (the
// native engine settles after two, sizing its sub-batches on the first).
const warmRuns = 3

// OpenLocal loads version ref (a number, a version label, or "" for the
// highest) of the named model from the repository directory, as the
// server would load it (config, warm-up, acceptance tests, batching), and
// nothing else. output names the score output ("" for config.yaml's
// postprocess output, else the model's only float output of shape [N, K]
// or [N]).
func OpenLocal(ctx context.Context, dir, name, ref, output string, opts ...serving.Option) (*Local, error) {
	src := repository.NewDir(dir)
	e, err := src.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("model %q in %s: %w", name, dir, err)
	}
	if e.ConfigErr != nil {
		return nil, fmt.Errorf("model %q: %w", name, e.ConfigErr)
	}
	n, err := pickVersion(e, ref)
	if err != nil {
		return nil, err
	}
	opts = append([]serving.Option{serving.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	m := serving.New(opts...)
	if err := m.Load(ctx, &oneVersion{Source: src, name: name, number: n}); err != nil {
		m.Close()
		return nil, err
	}
	v, err := m.Acquire(name, strconv.Itoa(n), "")
	if err != nil {
		if mod, _ := m.Model(name); mod != nil && mod.Version(n) != nil && mod.Version(n).Status().Err != nil {
			err = mod.Version(n).Status().Err
		}
		m.Close()
		return nil, fmt.Errorf("model %q version %d did not load: %w", name, n, err)
	}
	if st := v.Status(); st.State != serving.StateAvailable {
		v.Release()
		m.Close()
		return nil, fmt.Errorf("model %q version %d is %s: %v", name, n, st.State, st.Err)
	}
	l := &Local{manager: m, version: v, warmed: map[int]bool{}}
	if err := l.describe(output); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// pickVersion resolves ref against the repository entry.
func pickVersion(e repository.Entry, ref string) (int, error) {
	if len(e.Versions) == 0 {
		return 0, fmt.Errorf("model %q has no versions", e.Name)
	}
	if ref == "" {
		return e.Versions[len(e.Versions)-1].Number, nil
	}
	n, err := strconv.Atoi(ref)
	if err != nil {
		var ok bool
		if n, ok = e.Config.VersionLabels[ref]; !ok {
			return 0, fmt.Errorf("model %q has no version or label %q", e.Name, ref)
		}
	}
	if !slices.ContainsFunc(e.Versions, func(v repository.VersionEntry) bool { return v.Number == n }) {
		return 0, fmt.Errorf("model %q has no version %d", e.Name, n)
	}
	return n, nil
}

func (l *Local) describe(output string) error {
	v, c := l.version, l.version.Codec()
	out, err := scoreOutput(c.Outputs(), output, c.ScoreOutput())
	if err != nil {
		return fmt.Errorf("model %q: %w", v.ModelName, err)
	}
	k, err := classesOf(out)
	if err != nil {
		return err
	}
	l.output = out.Name
	cfg := v.Config
	if p := cfg.Postprocess; p != nil && out.Name == c.ScoreOutput() {
		l.softmax = p.Softmax
	}
	m := &evaluate.Model{Name: v.ModelName, Version: strconv.Itoa(v.Number), Classes: evaluate.ClassNames(cfg.Labels, k)}
	if k == 1 {
		m.Classes = []string{"value"}
	}
	m.Images = c.AcceptsImages()
	describeInput(m, c.Inputs())
	l.model = m
	return nil
}

// describeInput sets the input that table rows fill, or why they cannot.
func describeInput(m *evaluate.Model, in []engine.TensorInfo) {
	if len(in) != 1 {
		m.TableErr = fmt.Errorf("model %q has %d inputs: table rows fill one (a v2 request dataset fills several)", m.Name, len(in))
		return
	}
	m.Input, m.DType = in[0].Name, in[0].DType
	m.Shape, m.TableErr = evaluate.SampleShape(in[0].Name, in[0].Shape)
}

// Model describes the loaded version.
func (l *Local) Model() *evaluate.Model { return l.model }

// Predict runs the rows through Version.Infer.
func (l *Local) Predict(ctx context.Context, rows []*dataset.Row) ([]float64, error) {
	req := &serving.Request{Outputs: []serving.OutputRequest{{Name: l.output}}}
	switch {
	case rows[0].Inputs != nil:
		in, err := evaluate.RequestInputs(rows)
		if err != nil {
			return nil, err
		}
		req.Inputs = in
	case rows[0].Image != nil:
		if !l.model.Images {
			return nil, fmt.Errorf("%s: the model takes no images (its config.yaml has no image preprocessing)", rows[0].Where())
		}
		for _, r := range rows {
			req.Images = append(req.Images, r.Image)
			req.ImageNames = append(req.ImageNames, r.File)
		}
	default:
		t, err := evaluate.FeatureTensor(l.model, rows)
		if err != nil {
			return nil, err
		}
		out, err := l.RunTensor(ctx, t)
		if err != nil {
			return nil, err
		}
		return l.Scores(nil, out, len(rows))
	}
	return l.infer(ctx, req, len(rows))
}

// RunTensor runs table rows' stacked features through Version.Infer and
// returns the score output.
// A request is reused from one call to the next (serving lets a caller
// reuse its maps once Infer returns): a call allocates only what the
// engine and serving do.
func (l *Local) RunTensor(ctx context.Context, features *tensor.Tensor) (*tensor.Tensor, error) {
	req := l.spare.Swap(nil)
	if req == nil {
		req = &serving.Request{Outputs: []serving.OutputRequest{{Name: l.output}}, Inputs: make(map[string]*tensor.Tensor, 1)}
	}
	req.Inputs[l.model.Input] = features
	res, err := l.version.Infer(ctx, req)
	req.Inputs[l.model.Input] = nil // not kept past the call
	l.spare.Store(req)
	if err != nil {
		return nil, err
	}
	return res.Outputs[0].Tensor, nil
}

// Recycle hands RunTensor's output out back to the engine once it has
// been read, so that later runs write their answers into its memory
// rather than into fresh pages (serving.Version.Recycle).
func (l *Local) Recycle(out *tensor.Tensor) {
	l.version.Recycle(out)
}

// Warm runs rows rows of zeros through RunTensor, when table rows fill
// the model's input (their shape is then known; images and v2 requests
// fill the same input through the codec, so they gain as well): warmRuns
// times the first time at that size, once after, which makes it again
// the shape the engine ran last. A model with several inputs is left
// cold. The answers go back to the engine (Recycle).
func (l *Local) Warm(ctx context.Context, rows int) error {
	m := l.model
	if m.TableErr != nil || rows <= 0 {
		return nil
	}
	runs := warmRuns
	l.mu.Lock()
	if l.warmed[rows] {
		runs = 1
	}
	l.mu.Unlock()
	zeros := tensor.New(m.DType, append([]int{rows}, m.Shape...)...)
	for range runs {
		out, err := l.RunTensor(ctx, zeros)
		if err != nil {
			return fmt.Errorf("warming up on %d rows of zeros: %w", rows, err)
		}
		l.Recycle(out)
	}
	l.mu.Lock()
	l.warmed[rows] = true
	l.mu.Unlock()
	return nil
}

// Scores appends the scores of RunTensor's output for rows rows to dst,
// with the softmax when the config asks for it.
func (l *Local) Scores(dst []float64, out *tensor.Tensor, rows int) ([]float64, error) {
	return scoresOf(dst, out, rows, len(l.model.Classes), l.softmax)
}

func (l *Local) infer(ctx context.Context, req *serving.Request, rows int) ([]float64, error) {
	res, err := l.version.Infer(ctx, req)
	if err != nil {
		return nil, err
	}
	return scoresOf(nil, res.Outputs[0].Tensor, rows, len(l.model.Classes), l.softmax)
}

// Close releases the version and unloads it.
func (l *Local) Close() error {
	l.version.Release()
	return l.manager.Close()
}

// oneVersion shows one model of a source with one version, and without
// the labels, traffic split, shadow and version policy that could pin
// others.
type oneVersion struct {
	repository.Source
	name   string
	number int
}

func (o *oneVersion) List(ctx context.Context) ([]repository.Entry, error) {
	e, err := o.Get(ctx, o.name)
	if err != nil {
		return nil, err
	}
	return []repository.Entry{e}, nil
}

func (o *oneVersion) Get(ctx context.Context, name string) (repository.Entry, error) {
	e, err := o.Source.Get(ctx, name)
	if err != nil || name != o.name {
		return e, err
	}
	e.Versions = slices.DeleteFunc(slices.Clone(e.Versions), func(v repository.VersionEntry) bool { return v.Number != o.number })
	if e.Config != nil {
		cfg := *e.Config
		cfg.VersionLabels, cfg.Traffic, cfg.Shadow, cfg.VersionPolicy = nil, nil, nil, nil
		e.Config = &cfg
	}
	return e, nil
}
