package conformance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Options configure Run.
type Options struct {
	// Jobs is the number of cases run at once; 0 means GOMAXPROCS.
	Jobs int
	// Threads is the intra-op threads of each session; 0 means 1, which
	// with Jobs cases at once keeps every core busy.
	Threads int
	// Timeout bounds one case (load and all its data sets); 0 means
	// DefaultTimeout. A case still running at its deadline fails.
	Timeout time.Duration
	// Tolerance bounds the difference of float outputs; zero means
	// DefaultTolerance, the ONNX backend tests' own.
	Tolerance Tolerance
	// Progress, if set, is called with each result as its case finishes
	// (from several goroutines, one call at a time).
	Progress func(Result)
}

// DefaultTimeout bounds one case when Options.Timeout is 0.
const DefaultTimeout = 2 * time.Minute

// Run runs cases on e and reports each one's result, in the order of cases.
// Cancelling ctx stops starting new cases; the ones not run are absent from
// the report.
func Run(ctx context.Context, e engine.Engine, cases []Case, opts Options) *Report {
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	results := make([]*Result, len(cases))
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := runWithDeadline(ctx, e, cases[i], opts)
				results[i] = &r
				if opts.Progress != nil {
					mu.Lock()
					opts.Progress(r)
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range cases {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	rep := &Report{Engine: e.Name()}
	for _, r := range results {
		if r != nil {
			rep.Results = append(rep.Results, *r)
		}
	}
	return rep
}

// runWithDeadline runs one case, giving up on it (and leaving its goroutine
// behind) when it overruns its timeout by more than a grace period: kernels
// notice cancellation only between operators.
func runWithDeadline(ctx context.Context, e engine.Engine, c Case, opts Options) Result {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan Result, 1)
	go func() { done <- runCase(ctx, e, c, opts) }()
	var r Result
	select {
	case r = <-done:
	case <-ctx.Done():
		select {
		case r = <-done:
		case <-time.After(timeout / 4):
			r = Result{Name: c.Name, Status: Fail, Reason: fmt.Sprintf("timed out after %v", timeout)}
		}
	}
	r.Seconds = time.Since(start).Seconds()
	return r
}

// runCase loads and runs every data set of one case.
func runCase(ctx context.Context, e engine.Engine, c Case, opts Options) (r Result) {
	r = Result{Name: c.Name, Status: Fail}
	defer func() {
		if p := recover(); p != nil {
			r.Status, r.Reason = Fail, fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	path := filepath.Join(c.Dir, "model.onnx")
	m, err := onnx.Load(path)
	if err != nil {
		r.Reason = fmt.Sprintf("decode model: %v", err)
		return r
	}
	r.Ops = modelOps(m)
	sets, data, v := caseData(c.Dir, m.Graph)
	if v == nil {
		v = runSets(ctx, e, path, m.Graph, sets, data, opts)
	}
	r.Status, r.Reason = v.status, v.reason
	return r
}

// verdict is the outcome of a case, with why it failed or was skipped.
type verdict struct {
	status Status
	reason string
}

// caseData reads a case's data sets, or returns the verdict that ends the
// case: skipped without data sets or with values inferd's tensors cannot
// hold, failed on other errors.
func caseData(dir string, g *onnx.Graph) ([]string, []dataSet, *verdict) {
	sets, err := dataSets(dir)
	if err != nil {
		return nil, nil, &verdict{Fail, err.Error()}
	}
	if len(sets) == 0 {
		return nil, nil, &verdict{Skip, "no test_data_set directory"}
	}
	data := make([]dataSet, len(sets))
	for i, set := range sets {
		if data[i], err = readDataSet(set, g); err != nil {
			status := Fail
			var ue *unsupportedData
			if errors.As(err, &ue) {
				status = Skip
			}
			return nil, nil, &verdict{status, fmt.Sprintf("%s: %v", filepath.Base(set), err)}
		}
	}
	return sets, data, nil
}

// runSets loads the model at path on e and runs every data set, comparing
// its outputs with the expected ones: through RunValues when a value is
// not a tensor (the case is skipped when the sessions lack it).
func runSets(ctx context.Context, e engine.Engine, path string, g *onnx.Graph, sets []string, data []dataSet, opts Options) *verdict {
	tensorsOnly := true
	for _, d := range data {
		tensorsOnly = tensorsOnly && allTensors(d.inputs) && allTensors(d.outputs)
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = 1
	}
	sess, err := engine.LoadPath(ctx, e, path, engine.Options{IntraOpThreads: threads, InterOpThreads: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return &verdict{Fail, fmt.Sprintf("load: %v", err)}
	}
	defer sess.Close()
	vs, hasValues := sess.(engine.ValueSession)
	if !tensorsOnly && !hasValues {
		return &verdict{Skip, "inputs or outputs are not tensors and the engine's sessions do not implement RunValues"}
	}
	tol := opts.Tolerance
	if tol == (Tolerance{}) {
		tol = DefaultTolerance
	}
	for i, d := range data {
		got, err := runSet(ctx, sess, vs, tensorsOnly, g, d)
		if err != nil {
			return &verdict{Fail, fmt.Sprintf("%s: run: %v", filepath.Base(sets[i]), err)}
		}
		for k, o := range g.Outputs {
			if err := CompareValues(got[o.Name], d.outputs[k], tol); err != nil {
				return &verdict{Fail, fmt.Sprintf("%s: output %q: %v", filepath.Base(sets[i]), o.Name, err)}
			}
		}
	}
	return &verdict{Pass, ""}
}

// runSet runs one data set, through Run when every value is a tensor.
func runSet(ctx context.Context, sess engine.Session, vs engine.ValueSession, tensorsOnly bool, g *onnx.Graph, d dataSet) (map[string]*onnx.Value, error) {
	if !tensorsOnly {
		in := make(map[string]*onnx.Value, len(d.inputs))
		for k, v := range d.inputs {
			in[g.Inputs[k].Name] = v
		}
		return vs.RunValues(ctx, in)
	}
	in := make(map[string]*tensor.Tensor, len(d.inputs))
	for k, v := range d.inputs {
		in[g.Inputs[k].Name] = v.Tensor
	}
	out, err := sess.Run(ctx, in)
	if err != nil {
		return nil, err
	}
	vals := make(map[string]*onnx.Value, len(out))
	for name, t := range out {
		if t != nil {
			vals[name] = &onnx.Value{Kind: onnx.KindTensor, Tensor: t}
		}
	}
	return vals, nil
}

// dataSet is one test_data_set directory: the values of the graph inputs
// without initializers, and of the graph outputs, in order.
type dataSet struct {
	inputs, outputs []*onnx.Value
}

// unsupportedData marks test data this module cannot represent (a data
// type without a tensor.DType, for instance): the case is skipped.
type unsupportedData struct{ err error }

func (e *unsupportedData) Error() string { return e.err.Error() }
func (e *unsupportedData) Unwrap() error { return e.err }

func readDataSet(set string, g *onnx.Graph) (dataSet, error) {
	var d dataSet
	ins, err := numbered(set, "input")
	if err != nil {
		return d, err
	}
	outs, err := numbered(set, "output")
	if err != nil {
		return d, err
	}
	if len(ins) != len(g.Inputs) {
		return d, fmt.Errorf("%d input files for the graph's %d inputs", len(ins), len(g.Inputs))
	}
	if len(outs) != len(g.Outputs) {
		return d, fmt.Errorf("%d output files for the graph's %d outputs", len(outs), len(g.Outputs))
	}
	if d.inputs, err = readValues(ins, g.Inputs); err != nil {
		return d, err
	}
	d.outputs, err = readValues(outs, g.Outputs)
	return d, err
}

func readValues(files []string, infos []onnx.ValueInfo) ([]*onnx.Value, error) {
	vals := make([]*onnx.Value, len(files))
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		t := infos[i].Type
		if t.Kind == onnx.KindUnknown {
			t = onnx.Type{Kind: onnx.KindTensor}
		}
		v, err := onnx.DecodeValue(raw, t)
		if err != nil {
			return nil, &unsupportedData{fmt.Errorf("%s (%s): %w", filepath.Base(f), infos[i].Name, err)}
		}
		if t.Kind == onnx.KindTensor && t.DType == tensor.Float32 && v.Tensor.DType() == tensor.Uint16 {
			v.Tensor = bfloat16Tensor(v.Tensor)
		}
		vals[i] = v
	}
	return vals, nil
}

// modelOps lists the operators of m's graph and of its subgraphs, as "Op"
// for the default domain and "domain.Op" otherwise, sorted and unique.
func modelOps(m *onnx.Model) []string {
	seen := map[string]bool{}
	var walk func(g *onnx.Graph)
	walk = func(g *onnx.Graph) {
		if g == nil {
			return
		}
		for _, n := range g.Nodes {
			op := n.OpType
			if n.Domain != "" && n.Domain != "ai.onnx" {
				op = n.Domain + "." + op
			}
			seen[op] = true
			for _, a := range n.Attrs {
				walk(a.Graph)
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	walk(m.Graph)
	ops := make([]string, 0, len(seen))
	for op := range seen {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// bfloat16Tensor converts the raw bits of a bfloat16 tensor to float32.
// The suite stores bfloat16 test data as UINT16 tensors of raw bits (numpy
// has no bfloat16), while inferd decodes the models' BFLOAT16 values and
// types as FP32: a UINT16 value for an input or output declared BFLOAT16
// (FP32 once decoded) is such data.
func bfloat16Tensor(t *tensor.Tensor) *tensor.Tensor {
	bits := tensor.Data[uint16](t)
	f := make([]float32, len(bits))
	for i, b := range bits {
		f[i] = math.Float32frombits(uint32(b) << 16)
	}
	return tensor.MustFromSlice(f, t.Shape()...)
}
