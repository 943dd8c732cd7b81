package pipeline

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// op is a built-in operation of a step. Its inputs are named (ops with
// any number of inputs take them in name order) and so are its outputs.
type op interface {
	// outputs checks the step's inputs, by name, and returns the
	// declarations of its outputs.
	outputs(in map[string]engine.TensorInfo) ([]engine.TensorInfo, error)
	// run computes the outputs into dst, an empty map that the request
	// reuses from run to run. It must not modify its inputs; it may
	// give one of them as an output.
	run(in, dst map[string]*tensor.Tensor) error
}

// partialOp is an op that runs with some of its inputs missing (the
// outputs of soft or skipped steps): ensemble and first.
type partialOp interface{ partial() }

// opEnv is what making an op may need: its arguments and the models (the
// labels op reads a model's labels).
type opEnv struct {
	args   *yaml.Node
	models Models
}

// decode decodes the op's args strictly into v (no args: v unchanged).
func (e opEnv) decode(v any) error {
	if e.args == nil || e.args.IsZero() {
		return nil
	}
	data, err := yaml.Marshal(e.args)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("args: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// maxOutputElements bounds the output of the steps that can make more
// elements than they are given (gather with repeated indices, crop_resize):
// 2^26 elements, 256 MiB of FP32.
const maxOutputElements = 1 << 26

// checkOutputSize refuses an output of n elements over maxOutputElements.
func checkOutputSize(what string, n int64) error {
	if n > maxOutputElements {
		return fmt.Errorf("%w: %s would make %d elements, more than the limit of %d", engine.ErrInvalidInput, what, n, maxOutputElements)
	}
	return nil
}

// ops are the built-in operations by name.
var ops = map[string]func(opEnv) (op, error){
	"argmax":      newArgmax,
	"topk":        newTopK,
	"threshold":   newThreshold,
	"concat":      func(opEnv) (op, error) { return concatOp{}, nil },
	"split":       newSplit,
	"gather":      func(opEnv) (op, error) { return gatherOp{}, nil },
	"labels":      newLabels,
	"crop_resize": newCropResize,
	"ensemble":    newEnsemble,
	"first":       func(opEnv) (op, error) { return firstOp{}, nil },
	"softmax":     func(opEnv) (op, error) { return softmaxOp{}, nil },
	"join":        newJoin,
}

func opNames() []string { return slices.Sorted(maps.Keys(ops)) }

// sortedNames returns the input names in order.
func sortedNames[V any](in map[string]V) []string {
	names := slices.Collect(maps.Keys(in))
	sort.Strings(names)
	return names
}

// want checks that an op's inputs are exactly names.
func want(in map[string]engine.TensorInfo, names ...string) error {
	for _, n := range names {
		if _, ok := in[n]; !ok {
			return fmt.Errorf("input %q is required (inputs: %s)", n, strings.Join(names, ", "))
		}
	}
	for _, n := range sortedNames(in) { // the same error every time
		if !slices.Contains(names, n) {
			return fmt.Errorf("input %q is not one of this op's inputs (%s)", n, strings.Join(names, ", "))
		}
	}
	return nil
}

// wantScores checks that a declaration is FP32 of the given rank.
func wantScores(name string, t engine.TensorInfo, rank int) error {
	if t.DType != tensor.Float32 {
		return fmt.Errorf("input %q is %v; want FP32", name, t.DType)
	}
	if t.Shape != nil && len(t.Shape) != rank {
		return fmt.Errorf("input %q has shape %v; want rank %d", name, t.Shape, rank)
	}
	return nil
}

// batchOf is the first dimension of a declaration (-1 when not known).
func batchOf(t engine.TensorInfo) int {
	if len(t.Shape) == 0 {
		return -1
	}
	return t.Shape[0]
}

// info declares a tensor.
func info(name string, dt tensor.DType, shape ...int) engine.TensorInfo {
	return engine.TensorInfo{Name: name, DType: dt, Shape: shape}
}

// rows2 returns a rank-2 FP32 tensor's data and its rows and columns.
func rows2(name string, t *tensor.Tensor) ([]float32, int, int, error) {
	if t.DType() != tensor.Float32 || t.Rank() != 2 {
		return nil, 0, 0, fmt.Errorf("%w: %q is %v; want FP32 of rank 2", engine.ErrInvalidInput, name, t)
	}
	return tensor.Data[float32](t), t.Shape()[0], t.Shape()[1], nil
}
