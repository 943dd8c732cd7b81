package perf

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// ParseDim parses a --dim value: NAME=N for a symbolic dimension, or
// INPUT:AXIS=N for an unnamed variable dimension of an input.
func ParseDim(s string) (key string, size int, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", 0, fmt.Errorf("dimension %q is not NAME=N or INPUT:AXIS=N", s)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return "", 0, fmt.Errorf("dimension %q: size %q is not a non-negative integer", s, v)
	}
	return k, n, nil
}

// inputShapes returns the concrete shape of every input for one batch
// size: a variable first dimension is the batch; other variable dimensions
// come from dims, by symbolic name or as "input:axis". decl holds the
// graph's declared dimensions by input name, when the graph was decoded.
//
// A later axis whose symbolic name is that of a variable first dimension
// (a recurrent state [layers, batch, hidden]) is the batch too.
func inputShapes(infos []engine.TensorInfo, decl map[string][]onnx.Dim, batch int, dims map[string]int) (map[string][]int, error) {
	shapes := make(map[string][]int, len(infos))
	batched := false
	batchNames := batchParams(infos, decl)
	for _, in := range infos {
		if in.Shape == nil {
			return nil, fmt.Errorf("input %q has no declared shape, so perf cannot make one up", in.Name)
		}
		sh := slices.Clone(in.Shape)
		for axis, d := range sh {
			if d >= 0 {
				continue
			}
			if axis == 0 {
				sh[0], batched = batch, true
				continue
			}
			n, err := variableDim(in.Name, axis, decl[in.Name], batchNames, dims, batch)
			if err != nil {
				return nil, err
			}
			sh[axis] = n
		}
		shapes[in.Name] = sh
	}
	if !batched && batch != 1 {
		return nil, fmt.Errorf("no input has a variable first dimension, so the model runs one fixed batch: use --batch 1")
	}
	return shapes, nil
}

// batchParams returns the symbolic names of the inputs' variable first
// dimensions.
func batchParams(infos []engine.TensorInfo, decl map[string][]onnx.Dim) map[string]bool {
	names := map[string]bool{}
	for _, in := range infos {
		if ds := decl[in.Name]; len(ds) > 0 && len(in.Shape) > 0 && in.Shape[0] < 0 && ds[0].Param != "" {
			names[ds[0].Param] = true
		}
	}
	return names
}

// variableDim returns the size of the variable dimension axis (not the
// first) of input name, declared as ds: the batch when its symbolic name
// is a batch's, else from dims by symbolic name or as "name:axis".
func variableDim(name string, axis int, ds []onnx.Dim, batchNames map[string]bool, dims map[string]int, batch int) (int, error) {
	param := ""
	if axis < len(ds) {
		param = ds[axis].Param
	}
	if batchNames[param] {
		return batch, nil
	}
	n, ok := dims[param]
	if param == "" || !ok {
		n, ok = dims[fmt.Sprintf("%s:%d", name, axis)]
	}
	if !ok {
		hint := fmt.Sprintf("%s:%d=N", name, axis)
		if param != "" {
			hint = param + "=N"
		}
		return 0, fmt.Errorf("input %q dimension %d is variable: give its size with --dim %s", name, axis, hint)
	}
	return n, nil
}

// randomInputs makes inputs of the given shapes with a fixed seed: floats
// uniform in [-1, 1), integers uniform in [0, 10), random booleans, and
// strings "s0".."s9".
func randomInputs(infos []engine.TensorInfo, shapes map[string][]int, seed uint64) (map[string]*tensor.Tensor, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make(map[string]*tensor.Tensor, len(infos))
	for _, in := range infos {
		if in.DType == tensor.Invalid {
			return nil, fmt.Errorf("input %q is not a tensor; perf feeds tensors only", in.Name)
		}
		t := tensor.New(in.DType, shapes[in.Name]...)
		switch d := t.Data().(type) {
		case []float32:
			fill(d, func() float32 { return rng.Float32()*2 - 1 })
		case []float64:
			fill(d, func() float64 { return rng.Float64()*2 - 1 })
		case []uint16:
			if in.DType == tensor.Float16 {
				fill(d, func() uint16 { return tensor.Float32ToFloat16(rng.Float32()*2 - 1) })
			} else {
				fill(d, func() uint16 { return uint16(rng.IntN(10)) })
			}
		case []bool:
			fill(d, func() bool { return rng.IntN(2) == 1 })
		case []string:
			fill(d, func() string { return "s" + strconv.Itoa(rng.IntN(10)) })
		case []uint8:
			fill(d, func() uint8 { return uint8(rng.IntN(10)) })
		case []uint32:
			fill(d, func() uint32 { return uint32(rng.IntN(10)) })
		case []uint64:
			fill(d, func() uint64 { return uint64(rng.IntN(10)) })
		case []int8:
			fill(d, func() int8 { return int8(rng.IntN(10)) })
		case []int16:
			fill(d, func() int16 { return int16(rng.IntN(10)) })
		case []int32:
			fill(d, func() int32 { return int32(rng.IntN(10)) })
		case []int64:
			fill(d, func() int64 { return int64(rng.IntN(10)) })
		}
		out[in.Name] = t
	}
	return out, nil
}

func fill[T any](d []T, next func() T) {
	for i := range d {
		d[i] = next()
	}
}
