package serving

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/tensor"
)

// accept runs the version's acceptance tests (model.AcceptanceFile in the
// version directory), if it has any, on its freshly built data path: a
// failing case fails the load, naming the case and what it got.
func (m *Manager) accept(ctx context.Context, fsys fs.FS, v *Version, s *servable) error {
	dir := path.Dir(v.file.File)
	name := path.Join(v.ModelName, dir, model.AcceptanceFile)
	data, err := fs.ReadFile(fsys, path.Join(dir, model.AcceptanceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("acceptance tests: %w", err)
	}
	a, err := model.ParseAcceptance(data)
	if err != nil {
		return fmt.Errorf("acceptance tests %s: %w", name, err)
	}
	for i, c := range a.Cases {
		if err := s.acceptCase(ctx, fsys, dir, &c); err != nil {
			id := strconv.Itoa(i + 1)
			if c.Name != "" {
				id = strconv.Quote(c.Name)
			}
			return fmt.Errorf("acceptance case %s of %s failed: %w", id, name, err)
		}
	}
	m.log.Info("acceptance tests passed", "model", v.ModelName, "version", v.Number, "cases", len(a.Cases))
	return nil
}

// acceptRuns is how many times a case over its latency budget is run:
// the fastest run counts.
const acceptRuns = 3

func (s *servable) acceptCase(ctx context.Context, fsys fs.FS, dir string, c *model.AcceptanceCase) error {
	req, err := s.caseRequest(fsys, dir, c)
	if err != nil {
		return err
	}
	var (
		outs map[string]*tensor.Tensor
		best time.Duration
	)
	for run := range acceptRuns {
		start := time.Now()
		inputs, err := s.inputs(req, req.budget())
		if err != nil {
			return err
		}
		if outs, err = s.direct.Run(ctx, inputs); err != nil {
			return err
		}
		if d := time.Since(start); run == 0 || d < best {
			best = d
		}
		if c.LatencyMS == 0 || best <= time.Duration(c.LatencyMS*float64(time.Millisecond)) {
			break
		}
	}
	if c.LatencyMS > 0 && best > time.Duration(c.LatencyMS*float64(time.Millisecond)) {
		return fmt.Errorf("took %.3g ms (fastest of %d runs), over its budget of %g ms", float64(best)/1e6, acceptRuns, c.LatencyMS)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Outputs)) { // the same error every time
		if err := checkRange(outs, name, c.Outputs[name]); err != nil {
			return err
		}
	}
	if c.Label != "" || len(c.TopK) > 0 || c.Score != nil {
		return s.checkClasses(outs, c)
	}
	return nil
}

func (s *servable) caseRequest(fsys fs.FS, dir string, c *model.AcceptanceCase) (*Request, error) {
	if c.Image != "" {
		data, err := fs.ReadFile(fsys, path.Join(dir, c.Image))
		if err != nil {
			return nil, err
		}
		return &Request{Images: [][]byte{data}, ImageNames: []string{c.Image}}, nil
	}
	raw, err := c.InputsJSON()
	if err != nil {
		return nil, err
	}
	req := &Request{Inputs: map[string]*tensor.Tensor{}}
	for _, in := range s.codec.Inputs() {
		r, ok := raw[in.Name]
		if !ok {
			return nil, fmt.Errorf("no value for input %q", in.Name)
		}
		if req.Inputs[in.Name], err = tensor.FromJSON(r, in.DType); err != nil {
			return nil, fmt.Errorf("input %q: %w", in.Name, err)
		}
	}
	return req, nil
}

func checkRange(outs map[string]*tensor.Tensor, name string, r model.Range) error {
	t, ok := outs[name]
	if !ok {
		return fmt.Errorf("the model has no output %q", name)
	}
	for i, v := range floats(t) {
		if !r.Contains(v) {
			return fmt.Errorf("output %q value %d is %g, want %s", name, i, v, r)
		}
	}
	return nil
}

func floats(t *tensor.Tensor) []float64 {
	switch t.DType() {
	case tensor.Float32:
		out := make([]float64, t.Len())
		for i, v := range tensor.Data[float32](t) {
			out[i] = float64(v)
		}
		return out
	case tensor.Float64:
		return tensor.Data[float64](t)
	}
	return nil
}

// checkClasses checks the top class, the top-k set and the top score of
// the first row of the score output, ranked as the classification
// extension ranks it (softmax and labels from config.yaml).
func (s *servable) checkClasses(outs map[string]*tensor.Tensor, c *model.AcceptanceCase) error {
	name := s.codec.ScoreOutput()
	if name == "" {
		name = onlyScores(s.codec.Outputs())
	}
	if name == "" {
		return errors.New("cannot tell which output holds the class scores: name it in config.yaml's postprocess section")
	}
	k := max(len(c.TopK), 1)
	ranked, err := s.codec.ClassifyOutput(name, outs[name], k)
	if err != nil {
		return err
	}
	type class struct {
		score        float64
		index, label string
	}
	var top []class
	for _, r := range tensor.Data[string](ranked)[:k] {
		parts := strings.SplitN(r, ":", 3)
		cl := class{index: parts[1], label: parts[1]}
		cl.score, _ = strconv.ParseFloat(parts[0], 64)
		if len(parts) == 3 {
			cl.label = parts[2]
		}
		top = append(top, cl)
	}
	is := func(cl class, want string) bool { return want == cl.label || want == cl.index }
	if c.Label != "" && !is(top[0], c.Label) {
		return fmt.Errorf("want class %s, got %s (score %.4g)", c.Label, top[0].label, top[0].score)
	}
	if c.Score != nil && !c.Score.Contains(top[0].score) {
		return fmt.Errorf("top class %s scored %.4g, want %s", top[0].label, top[0].score, c.Score)
	}
	for _, want := range c.TopK {
		if !slices.ContainsFunc(top, func(cl class) bool { return is(cl, want) }) {
			got := make([]string, len(top))
			for i, cl := range top {
				got[i] = cl.label
			}
			return fmt.Errorf("want top %d classes %v, got %v", k, c.TopK, got)
		}
	}
	return nil
}

// onlyScores is the model's only float output of shape [N, C], or "".
func onlyScores(outputs []engine.TensorInfo) string {
	name := ""
	for _, o := range outputs {
		if (o.DType == tensor.Float32 || o.DType == tensor.Float64) && len(o.Shape) == 2 {
			if name != "" {
				return ""
			}
			name = o.Name
		}
	}
	return name
}
