package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// ErrInvalidGraph wraps every error Compile finds in the graph.
var ErrInvalidGraph = errors.New("invalid pipeline")

// node is a compiled step.
type node struct {
	name    string
	inputs  map[string]ref // the step's input name → where it comes from
	wires   []wire         // the same, as a slice to run through
	partial bool           // op is a partialOp
	deps    []int          // the nodes it waits for
	outs    []engine.TensorInfo
	soft    bool
	timeout time.Duration
	when    *condition
	// op is set for a built-in step; model, version for a model step,
	// with the declarations it was compiled against (in, the model's
	// inputs) and the version it resolved to then (at).
	op             op
	opName         string
	model, version string
	in             []engine.TensorInfo
	at             Target
}

// wire is one input of a step: its name and where it comes from.
type wire struct {
	name string
	from ref
}

type condition struct {
	ref     ref
	compare func(a, b float64) bool
	value   float64
	all     bool
}

// graph is a compiled spec: its nodes in an order where every node comes
// after those it waits for.
type graph struct {
	inputs  []engine.TensorInfo
	outputs []engine.TensorInfo
	outRefs []ref
	nodes   []*node
	index   map[string]int // node by step name
	// roots are the nodes that read no other node; dependents[i] are the
	// nodes that read node i.
	roots      []int
	dependents [][]int
	// serial says that no two nodes can run at once: one root, and no
	// node that more than one node reads.
	serial bool
}

// compile checks spec against the models as they are served and orders
// its steps. Every error names the step and the tensor.
func compile(spec *Spec, name string, models Models) (*graph, error) {
	g := &graph{}
	for _, in := range spec.Inputs {
		g.inputs = append(g.inputs, engine.TensorInfo{Name: in.Name, DType: in.DataType, Shape: in.Shape})
	}
	nodes, err := order(spec.Steps)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidGraph, err)
	}
	g.nodes = nodes
	index := map[string]int{}
	for i, n := range nodes {
		index[n.name] = i
	}
	g.index = index
	g.dependents = make([][]int, len(nodes))
	for i, n := range nodes {
		if len(n.deps) == 0 {
			g.roots = append(g.roots, i)
		}
		for _, d := range n.deps {
			g.dependents[d] = append(g.dependents[d], i)
		}
	}
	g.serial = len(g.roots) == 1 && !slices.ContainsFunc(g.dependents, func(ds []int) bool { return len(ds) > 1 })
	for _, n := range nodes {
		st := spec.Steps[slices.IndexFunc(spec.Steps, func(s Step) bool { return s.Name == n.name })]
		if err := g.typeStep(n, st, index, scoped{models, name}); err != nil {
			return nil, fmt.Errorf("%w: step %q: %w", ErrInvalidGraph, n.name, err)
		}
	}
	for _, o := range spec.Outputs {
		r, _ := parseRef(o.From)
		t, err := g.lookup(r, index)
		if err != nil {
			return nil, fmt.Errorf("%w: output %q: %w", ErrInvalidGraph, o.Name, err)
		}
		t.Name = o.Name
		g.outputs, g.outRefs = append(g.outputs, t), append(g.outRefs, compiled(r, index))
	}
	return g, nil
}

// order makes the nodes of steps, with their dependencies, sorted so that
// each comes after the steps it reads (Kahn's algorithm); a reference to
// an unknown step or a cycle is an error.
func order(steps []Step) ([]*node, error) {
	byName := map[string]int{}
	for i, st := range steps {
		byName[st.Name] = i
	}
	waits := make([][]int, len(steps)) // step → steps it reads
	for i, st := range steps {
		refs := map[string]string{}
		for in, s := range st.Inputs {
			refs["input "+in] = s
		}
		if st.When != nil {
			refs["when.tensor"] = st.When.Tensor
		}
		for _, what := range sortedNames(refs) {
			r, _ := parseRef(refs[what])
			if r.step == "" {
				continue
			}
			j, ok := byName[r.step]
			if !ok {
				return nil, fmt.Errorf("step %q: %s: %s names step %q, which does not exist", st.Name, what, r, r.step)
			}
			if !slices.Contains(waits[i], j) {
				waits[i] = append(waits[i], j)
			}
		}
	}
	placed := make([]int, len(steps)) // step → its position, +1
	var nodes []*node
	for len(nodes) < len(steps) {
		progress := false
		for i, st := range steps {
			if placed[i] > 0 || slices.ContainsFunc(waits[i], func(j int) bool { return placed[j] == 0 }) {
				continue
			}
			n := &node{name: st.Name, soft: st.Soft, timeout: st.Timeout, model: st.Model, version: st.Version, opName: st.Op}
			for _, j := range waits[i] {
				n.deps = append(n.deps, placed[j]-1)
			}
			nodes = append(nodes, n)
			placed[i], progress = len(nodes), true
		}
		if !progress {
			var cycle []string
			for i, st := range steps {
				if placed[i] == 0 {
					cycle = append(cycle, st.Name)
				}
			}
			return nil, fmt.Errorf("steps %s depend on each other in a cycle", strings.Join(cycle, ", "))
		}
	}
	return nodes, nil
}

// compiled is r with the index of its step's node, once the reference
// is known to be good.
func compiled(r ref, index map[string]int) ref {
	if i, ok := index[r.step]; ok && r.step != "" {
		r.node = i + 1
	}
	return r
}

// typeStep resolves a step's inputs, checks them against what the step
// takes, and declares its outputs.
func (g *graph) typeStep(n *node, st Step, index map[string]int, models scoped) error {
	n.inputs = map[string]ref{}
	n.wires = nil
	in := map[string]engine.TensorInfo{}
	for _, name := range sortedNames(st.Inputs) {
		r, _ := parseRef(st.Inputs[name])
		t, err := g.lookup(r, index)
		if err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
		r = compiled(r, index)
		n.inputs[name], in[name] = r, t
		n.wires = append(n.wires, wire{name, r})
	}
	if c := st.When; c != nil {
		r, _ := parseRef(c.Tensor)
		r = compiled(r, index)
		t, err := g.lookup(r, index)
		if err != nil {
			return fmt.Errorf("when.tensor: %w", err)
		}
		if !slices.Contains([]tensor.DType{tensor.Float32, tensor.Float64, tensor.Int64, tensor.Int32, tensor.Uint8, tensor.Bool}, t.DType) {
			return fmt.Errorf("when.tensor: %s is %v; a condition compares FP32, FP64, INT64, INT32, UINT8 or BOOL", r, t.DType)
		}
		n.when = &condition{ref: r, compare: compares[c.Op], value: c.Value, all: c.All}
	}
	if st.Model != "" {
		return n.typeModel(in, models)
	}
	newOp, ok := ops[st.Op]
	if !ok {
		return fmt.Errorf("op %q is not a built-in step (they are %s)", st.Op, strings.Join(opNames(), ", "))
	}
	o, err := newOp(opEnv{args: &st.Args, models: models})
	if err != nil {
		return fmt.Errorf("op %s: %w", st.Op, err)
	}
	if n.outs, err = o.outputs(in); err != nil {
		return fmt.Errorf("op %s: %w", st.Op, err)
	}
	n.op = o
	_, n.partial = o.(partialOp)
	return nil
}

// typeModel checks a model step's inputs against the version its model
// and version resolve to now, and takes that version's outputs.
func (n *node) typeModel(in map[string]engine.TensorInfo, models scoped) error {
	st, err := models.Resolve(n.model, n.version)
	if err != nil {
		return fmt.Errorf("model %q: %w", n.model, err)
	}
	if err := models.cycle(n.model, st); err != nil {
		return err
	}
	if !st.Available {
		return fmt.Errorf("model %q version %d is %s", n.model, st.Number, st.State)
	}
	for _, want := range st.Inputs {
		got, ok := in[want.Name]
		if !ok {
			return fmt.Errorf("input %q of model %q is not wired (inputs: %s)", want.Name, n.model, strings.Join(engine.InfoNames(st.Inputs), ", "))
		}
		if err := fits(got, want); err != nil {
			return fmt.Errorf("input %q: %w", want.Name, err)
		}
	}
	for _, name := range sortedNames(in) { // the same error every time
		if engine.IndexInfo(st.Inputs, name) < 0 {
			return fmt.Errorf("input %q: model %q has no input %q (it has %s)", name, n.model, name, strings.Join(engine.InfoNames(st.Inputs), ", "))
		}
	}
	n.in, n.outs, n.at = st.Inputs, st.Outputs, st
	return nil
}

// scoped is the models as one pipeline sees them: the pipeline's own
// name is known, so that a step cannot run it, directly or not.
type scoped struct {
	Models
	self string
}

// cycle refuses a step that runs the pipeline it belongs to: the target
// is that pipeline, or a pipeline that runs it.
func (m scoped) cycle(name string, t Target) error {
	if !t.Pipeline {
		return nil
	}
	if name == m.self || slices.Contains(t.Calls, m.self) {
		return fmt.Errorf("pipeline %q runs pipeline %q, which runs it back (pipelines calling each other in a cycle)", m.self, name)
	}
	return nil
}

// lookup returns the declaration of what r names: a pipeline input or an
// output of a step placed before.
func (g *graph) lookup(r ref, index map[string]int) (engine.TensorInfo, error) {
	if r.step == "" {
		if i := engine.IndexInfo(g.inputs, r.tensor); i >= 0 {
			return g.inputs[i], nil
		}
		return engine.TensorInfo{}, fmt.Errorf("%s: the pipeline has no input %q (it has %s)", r, r.tensor, strings.Join(engine.InfoNames(g.inputs), ", "))
	}
	i, ok := index[r.step]
	if !ok {
		return engine.TensorInfo{}, fmt.Errorf("%s: there is no step %q", r, r.step)
	}
	outs := g.nodes[i].outs
	if j := engine.IndexInfo(outs, r.tensor); j >= 0 {
		return outs[j], nil
	}
	return engine.TensorInfo{}, fmt.Errorf("%s: step %q has no output %q (it has %s)", r, r.step, r.tensor, strings.Join(engine.InfoNames(outs), ", "))
}

// fits checks that a tensor declared as got can feed an input declared as
// want: the same datatype, and shapes that agree where both are fixed.
func fits(got, want engine.TensorInfo) error {
	if got.DType != want.DType {
		return fmt.Errorf("%s is fed %v but takes %v", want.Name, got.DType, want.DType)
	}
	if got.Shape != nil && want.Shape != nil && !engine.ShapesCompatible(got.Shape, want.Shape) {
		return fmt.Errorf("%s is fed shape %v but takes %v", want.Name, got.Shape, want.Shape)
	}
	return nil
}
