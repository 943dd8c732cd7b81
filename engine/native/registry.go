package native

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Operator set versions of the default domain (ai.onnx) this engine
// implements; an operator registered for the domain covers them all unless
// it says otherwise.
const (
	minOpset = 1
	maxOpset = 17
)

// kernel executes one node. Kernels are built once at load and shared by
// concurrent runs, so run must not mutate the kernel.
//
// run receives the node's inputs (nil for omitted optional inputs) and fills
// out, which has one slot per node output (omitted outputs may be left nil).
// An output must be a new tensor from rc.alloc or tensor.New, or an input
// or a Reshape of one (sharing its data); it must never be a view into part
// of another tensor's data. Buffers from rc.alloc hold garbage: the kernel
// writes every element. Errors describe what was wrong with the values; the
// session adds the node's name and marks them as invalid input.
type kernel interface {
	run(rc *runCtx, in []*tensor.Tensor, out []*tensor.Tensor) error
}

// kernelFunc adapts a function to kernel.
type kernelFunc func(rc *runCtx, in []*tensor.Tensor, out []*tensor.Tensor) error

func (f kernelFunc) run(rc *runCtx, in []*tensor.Tensor, out []*tensor.Tensor) error {
	return f(rc, in, out)
}

// buildCtx is what a builder knows about its node at load.
type buildCtx struct {
	node *onnx.Node
	// opset is the version of the node's domain the model imports.
	opset int64
	// consts holds, per input, the value when it is known at load
	// (initializers and outputs of constant-folded nodes), else nil.
	consts []*tensor.Tensor
	// threads is the intra-op parallelism of the session.
	threads int
	// lim holds the session's memory limits and the load budget.
	lim *limits
	// model is the model being planned (for subgraphs and opsets).
	model *onnx.Model
	// implicit names the enclosing values the node's subgraphs use; their
	// slots follow the node's inputs (consts included).
	implicit []string
	// ctx is the load's context.
	ctx context.Context
}

// constInput returns the constant value of input i, or nil when it is not
// constant or not present.
func (b *buildCtx) constInput(i int) *tensor.Tensor {
	if i < len(b.consts) {
		return b.consts[i]
	}
	return nil
}

// hasInput reports whether the node has a non-empty input i.
func (b *buildCtx) hasInput(i int) bool {
	return i < len(b.node.Inputs) && b.node.Inputs[i] != ""
}

// hasOutput reports whether the node has a non-empty output i.
func (b *buildCtx) hasOutput(i int) bool {
	return i < len(b.node.Outputs) && b.node.Outputs[i] != ""
}

// errorf returns an error naming the node.
func (b *buildCtx) errorf(format string, args ...any) error {
	return fmt.Errorf("node %s: %s", b.node.Label(), fmt.Sprintf(format, args...))
}

// builder validates a node's attributes and returns its kernel.
type builder func(b *buildCtx) (kernel, error)

// opDef is one registered implementation of an operator, valid for the
// imported opset versions [minVersion, maxVersion] of its domain.
type opDef struct {
	minVersion, maxVersion int64
	build                  builder
	// noFold marks operators that must not be evaluated at load even when
	// their inputs are constant (random generators, for example).
	noFold bool
}

type opKey struct{ domain, opType string }

// ops is the operator registry, filled by init functions in the files of
// each operator family.
var ops = map[opKey][]opDef{}

// register adds an operator implementation for the default domain, valid
// for all supported opset versions.
func register(opType string, build builder) {
	registerDef("", opType, opDef{minVersion: minOpset, maxVersion: maxOpset, build: build})
}

// registerSince adds an operator implementation for the default domain
// that first appeared in opset version since.
func registerSince(opType string, since int64, build builder) {
	registerDef("", opType, opDef{minVersion: since, maxVersion: maxOpset, build: build})
}

// registerDef adds an operator implementation.
func registerDef(domain, opType string, def opDef) {
	k := opKey{normDomain(domain), opType}
	ops[k] = append(ops[k], def)
}

// lookupOp returns the implementation of opType in domain at the given
// imported opset version.
func lookupOp(domain, opType string, version int64) (opDef, bool) {
	for _, d := range ops[opKey{normDomain(domain), opType}] {
		if version >= d.minVersion && version <= d.maxVersion {
			return d, true
		}
	}
	return opDef{}, false
}

func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// unsupportedError lists every node whose operator the registry lacks.
type unsupportedError struct {
	// byOp maps "Op (opset N)" to the labels of its nodes.
	byOp  map[string][]string
	order []string
}

func (e *unsupportedError) add(n *onnx.Node, version int64) {
	if e.byOp == nil {
		e.byOp = map[string][]string{}
	}
	op := n.OpType
	if d := normDomain(n.Domain); d != "" {
		op = d + "." + op
	}
	key := fmt.Sprintf("%s (opset %d)", op, version)
	if version == 0 {
		key = fmt.Sprintf("%s (domain %q not imported)", op, n.Domain)
	}
	if _, ok := e.byOp[key]; !ok {
		e.order = append(e.order, key)
	}
	label := n.Name
	if label == "" {
		label = n.Label()
	}
	e.byOp[key] = append(e.byOp[key], label)
}

func (e *unsupportedError) Error() string {
	parts := make([]string, 0, len(e.order))
	for _, key := range e.order {
		nodes := e.byOp[key]
		s := key + " at node "
		if len(nodes) > 1 {
			s = key + " at nodes "
		}
		const show = 3
		if len(nodes) > show {
			s += strings.Join(nodes[:show], ", ") + fmt.Sprintf(" and %d more", len(nodes)-show)
		} else {
			s += strings.Join(nodes, ", ")
		}
		parts = append(parts, s)
	}
	return "unsupported operators: " + strings.Join(parts, "; ")
}

// SupportedOps lists the operators the engine implements as "Op" for the
// default domain and "domain.Op" otherwise, sorted.
func SupportedOps() []string {
	names := make([]string, 0, len(ops))
	for k := range ops {
		if k.domain == "" {
			names = append(names, k.opType)
		} else {
			names = append(names, k.domain+"."+k.opType)
		}
	}
	sort.Strings(names)
	return names
}
