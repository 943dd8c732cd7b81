package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Reductions: ReduceSum (axes an input from opset 13, with
// noop_with_empty_axes), ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSumExp, ReduceLogSum (axes an attribute
// through opset 17). Float types accumulate in float64.

type reduceKind int

const (
	reduceSum reduceKind = iota
	reduceMean
	reduceMax
	reduceMin
	reduceProd
	reduceSumSquare
	reduceL1
	reduceL2
	reduceLogSumExp
	reduceLogSum
)

func init() {
	for name, kind := range map[string]reduceKind{
		"ReduceSum": reduceSum, "ReduceMean": reduceMean, "ReduceMax": reduceMax, "ReduceMin": reduceMin,
		"ReduceProd": reduceProd, "ReduceSumSquare": reduceSumSquare, "ReduceL1": reduceL1,
		"ReduceL2": reduceL2, "ReduceLogSumExp": reduceLogSumExp, "ReduceLogSum": reduceLogSum,
	} {
		register(name, func(b *buildCtx) (kernel, error) { return buildReduce(b, name, kind) })
	}
}

type reduceKernel struct {
	name        string
	kind        reduceKind
	keepDims    bool
	attrAxes    []int64
	axesInput   bool
	noopIfEmpty bool
}

func buildReduce(b *buildCtx, name string, kind reduceKind) (kernel, error) {
	k := &reduceKernel{name: name, kind: kind}
	var err error
	if k.keepDims, err = b.boolAttr("keepdims", true); err != nil {
		return nil, err
	}
	if kind == reduceSum && b.opset >= 13 {
		k.axesInput = true
		if k.noopIfEmpty, err = b.boolAttr("noop_with_empty_axes", false); err != nil {
			return nil, err
		}
	} else if k.attrAxes, err = b.intsAttr("axes"); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *reduceKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	axes := k.attrAxes
	if k.axesInput && len(in) > 1 && in[1] != nil {
		var err error
		if axes, err = int64sOf(in[1]); err != nil {
			return fmt.Errorf("%s axes: %w", k.name, err)
		}
	}
	if len(axes) == 0 && k.noopIfEmpty {
		out[0] = x
		return nil
	}
	xs := x.Shape()
	reduced := make([]bool, len(xs))
	for _, a := range axes {
		i, ok := normAxis(a, len(xs))
		if !ok {
			return fmt.Errorf("%s axis %d out of range for shape %v", k.name, a, xs)
		}
		reduced[i] = true
	}
	if len(axes) == 0 {
		for i := range reduced {
			reduced[i] = true
		}
	}
	var shape []int
	outStrides := make([]int, len(xs)) // per input axis, 0 where reduced
	count := 1
	for i, d := range xs {
		if reduced[i] {
			count *= d
			if k.keepDims {
				shape = append(shape, 1)
			}
			continue
		}
		shape = append(shape, d)
	}
	acc := 1
	for i := len(xs) - 1; i >= 0; i-- {
		if !reduced[i] {
			outStrides[i] = acc
			acc *= xs[i]
		}
	}
	if count == 0 && (k.kind == reduceMax || k.kind == reduceMin) {
		return fmt.Errorf("%s over an empty set of values", k.name)
	}
	if k.reduceRows(rc, x, reduced, shape, count, out) {
		return nil
	}
	vals, err := toFloat64s(x)
	if err != nil {
		return fmt.Errorf("%s: %w", k.name, err)
	}
	res := k.reduce(vals, xs, outStrides, tensor.NumElements(shape), count)
	y := rc.alloc(x.DType(), shape)
	switch d := y.Data().(type) {
	case []float32:
		convert(d, res)
	case []float64:
		copy(d, res)
	case []int32:
		convert(d, res)
	case []int64:
		convert(d, res)
	default:
		return dtypeError(k.name, x.DType())
	}
	out[0] = y
	return nil
}

// reduce folds every input value into its output slot (found through
// outStrides) and finishes each slot.
func (k *reduceKernel) reduce(x []float64, shape, outStrides []int, n, count int) []float64 {
	res := make([]float64, n)
	init := 0.0
	switch k.kind {
	case reduceMax:
		init = math.Inf(-1)
	case reduceMin:
		init = math.Inf(1)
	case reduceProd:
		init = 1
	case reduceLogSumExp:
		// Two passes: the maximum first, for stability.
		init = math.Inf(-1)
	}
	for i := range res {
		res[i] = init
	}
	var mx []float64
	if k.kind == reduceLogSumExp {
		forEachSlot(shape, outStrides, func(i, o int) { res[o] = max(res[o], x[i]) })
		mx = append([]float64(nil), res...)
		clear(res)
	}
	forEachSlot(shape, outStrides, func(i, o int) {
		v := x[i]
		switch k.kind {
		case reduceSum, reduceMean, reduceLogSum:
			res[o] += v
		case reduceMax:
			res[o] = max(res[o], v)
		case reduceMin:
			res[o] = min(res[o], v)
		case reduceProd:
			res[o] *= v
		case reduceSumSquare, reduceL2:
			res[o] += v * v
		case reduceL1:
			res[o] += math.Abs(v)
		case reduceLogSumExp:
			res[o] += math.Exp(v - mx[o])
		}
	})
	for o := range res {
		switch k.kind {
		case reduceMean:
			res[o] /= float64(count)
		case reduceL2:
			res[o] = math.Sqrt(res[o])
		case reduceLogSumExp:
			res[o] = mx[o] + math.Log(res[o])
		case reduceLogSum:
			res[o] = math.Log(res[o])
		}
	}
	return res
}

// forEachSlot calls f with every input index and the output index it
// reduces into.
func forEachSlot(shape, outStrides []int, f func(i, o int)) {
	n := tensor.NumElements(shape)
	idx := make([]int, len(shape))
	o := 0
	for i := range n {
		f(i, o)
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a]++
			o += outStrides[a]
			if idx[a] < shape[a] {
				break
			}
			o -= outStrides[a] * shape[a]
			idx[a] = 0
		}
	}
}

// reduceRows is the float32 path of the common reductions over trailing
// axes (LayerNorm's mean over the last one, say): each output is a
// contiguous row of count inputs, folded in float64. It returns false
// when it does not apply.
func (k *reduceKernel) reduceRows(rc *runCtx, x *tensor.Tensor, reduced []bool, shape []int, count int, out []*tensor.Tensor) bool {
	switch k.kind {
	case reduceSum, reduceMean, reduceMax, reduceMin, reduceSumSquare:
	default:
		return false
	}
	if x.DType() != tensor.Float32 || count == 0 {
		return false
	}
	for i := 1; i < len(reduced); i++ {
		if reduced[i-1] && !reduced[i] {
			return false // a kept axis after a reduced one
		}
	}
	y := rc.alloc(tensor.Float32, shape)
	xd, yd := tensor.Data[float32](x), tensor.Data[float32](y)
	parallelFor(rc.threads, len(yd), max(1, elemGrain/count), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			yd[o] = k.foldRow(xd[o*count : (o+1)*count])
		}
	})
	out[0] = y
	return true
}

// foldRow reduces one row for reduceRows.
func (k *reduceKernel) foldRow(row []float32) float32 {
	switch k.kind {
	case reduceMax, reduceMin:
		m := row[0]
		for _, v := range row[1:] {
			if v != v || m != m {
				m = float32(math.NaN())
				continue
			}
			if k.kind == reduceMax {
				m = max(m, v)
			} else {
				m = min(m, v)
			}
		}
		return m
	}
	var s0, s1 float64
	i := 0
	for ; i+1 < len(row); i += 2 {
		a, b := float64(row[i]), float64(row[i+1])
		if k.kind == reduceSumSquare {
			a, b = a*a, b*b
		}
		s0, s1 = s0+a, s1+b
	}
	if i < len(row) {
		a := float64(row[i])
		if k.kind == reduceSumSquare {
			a *= a
		}
		s0 += a
	}
	s := s0 + s1
	if k.kind == reduceMean {
		s /= float64(len(row))
	}
	return float32(s)
}
