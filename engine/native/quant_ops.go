package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Integer and quantized linear algebra: MatMulInteger and ConvInteger
// (int32 results of zero-point-shifted 8-bit inputs), QLinearMatMul and
// QLinearConv (dequantize, multiply, requantize). Products accumulate in
// float64, exact for 8-bit operands.

func init() {
	registerSince("MatMulInteger", 10, func(b *buildCtx) (kernel, error) { return kernelFunc(runMatMulInteger), nil })
	registerSince("QLinearMatMul", 10, func(b *buildCtx) (kernel, error) { return kernelFunc(runQLinearMatMul), nil })
	registerSince("ConvInteger", 10, func(b *buildCtx) (kernel, error) { return buildQConv(b, false) })
	registerSince("QLinearConv", 10, func(b *buildCtx) (kernel, error) { return buildQConv(b, true) })
}

// shifted returns x's values minus its zero point (scalar, or per row of
// axis when it has as many values as that axis).
func shifted(x, zp *tensor.Tensor, axis int) ([]float64, error) {
	v, err := toFloat64s(x)
	if err != nil {
		return nil, err
	}
	if zp == nil {
		return v, nil
	}
	z, err := toFloat64s(zp)
	if err != nil {
		return nil, err
	}
	xs := x.Shape()
	switch {
	case len(z) == 1:
		for i := range v {
			v[i] -= z[0]
		}
	case axis >= 0 && axis < len(xs) && len(z) == xs[axis]:
		inner := tensor.NumElements(xs[axis+1:])
		for i := range v {
			v[i] -= z[(i/inner)%xs[axis]]
		}
	default:
		return nil, fmt.Errorf("zero point of shape %v does not fit input of shape %v", zp.Shape(), xs)
	}
	return v, nil
}

// matmulF64 multiplies a (shape as) by b (shape bs) with numpy matmul
// broadcasting, returning the result and its shape.
func matmulF64(a, b []float64, as, bs []int) ([]float64, []int, error) {
	if len(as) < 1 || len(bs) < 1 {
		return nil, nil, fmt.Errorf("matmul of scalars")
	}
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	if bs[len(bs)-2] != k {
		return nil, nil, fmt.Errorf("matmul shapes %v and %v do not match", as, bs)
	}
	batch, err := broadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, nil, err
	}
	nb := tensor.NumElements(batch)
	res := make([]float64, nb*m*n)
	l := newBcastLayout(append(append([]int(nil), batch...), 1), append(append([]int(nil), as[:len(as)-2]...), 1), append(append([]int(nil), bs[:len(bs)-2]...), 1))
	for p := range nb {
		ao, bo := batchOffset(&l, 0, p)*m*k, batchOffset(&l, 1, p)*k*n
		for i := range m {
			for j := range n {
				var s float64
				for q := range k {
					s += a[ao+i*k+q] * b[bo+q*n+j]
				}
				res[(p*m+i)*n+j] = s
			}
		}
	}
	return res, append(batch, m, n), nil
}

func runMatMulInteger(rc *runCtx, in, out []*tensor.Tensor) error {
	a, b := in[0], in[1]
	var azp, bzp *tensor.Tensor
	if len(in) > 2 {
		azp = in[2]
	}
	if len(in) > 3 {
		bzp = in[3]
	}
	av, err := shifted(a, azp, a.Rank()-2)
	if err != nil {
		return fmt.Errorf("MatMulInteger A: %w", err)
	}
	bv, err := shifted(b, bzp, b.Rank()-1)
	if err != nil {
		return fmt.Errorf("MatMulInteger B: %w", err)
	}
	res, shape, err := matmulF64(av, bv, a.Shape(), b.Shape())
	if err != nil {
		return fmt.Errorf("MatMulInteger: %w", err)
	}
	y := rc.alloc(tensor.Int32, shape)
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}

// requantize converts real values to the output's quantized type.
func requantize(rc *runCtx, v []float64, shape []int, scale, zp *tensor.Tensor) (*tensor.Tensor, error) {
	s, err := scalarFloat(scale)
	if err != nil {
		return nil, fmt.Errorf("output scale: %w", err)
	}
	z, err := scalarFloat(zp)
	if err != nil {
		return nil, fmt.Errorf("output zero point: %w", err)
	}
	for i, x := range v {
		v[i] = math.RoundToEven(x/s) + z
	}
	saturate(v, zp.DType())
	y := rc.alloc(zp.DType(), shape)
	castSlice(y.Data(), v)
	return y, nil
}

// scaled multiplies v by a scale that is scalar or per entry of axis.
func scaled(v []float64, shape []int, scale *tensor.Tensor, axis int) error {
	s, err := toFloat64s(scale)
	if err != nil {
		return err
	}
	if len(s) == 1 {
		for i := range v {
			v[i] *= s[0]
		}
		return nil
	}
	if axis < 0 || axis >= len(shape) || shape[axis] != len(s) {
		return fmt.Errorf("scale of shape %v does not fit %v", scale.Shape(), shape)
	}
	inner := tensor.NumElements(shape[axis+1:])
	for i := range v {
		v[i] *= s[(i/inner)%shape[axis]]
	}
	return nil
}

func runQLinearMatMul(rc *runCtx, in, out []*tensor.Tensor) error {
	if len(in) < 8 {
		return fmt.Errorf("QLinearMatMul needs 8 inputs")
	}
	a, as, azp, b, bs, bzp, ys, yzp := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	av, err := shifted(a, azp, a.Rank()-2)
	if err != nil {
		return fmt.Errorf("QLinearMatMul A: %w", err)
	}
	if err := scaled(av, a.Shape(), as, a.Rank()-2); err != nil {
		return fmt.Errorf("QLinearMatMul A: %w", err)
	}
	bv, err := shifted(b, bzp, b.Rank()-1)
	if err != nil {
		return fmt.Errorf("QLinearMatMul B: %w", err)
	}
	if err := scaled(bv, b.Shape(), bs, b.Rank()-1); err != nil {
		return fmt.Errorf("QLinearMatMul B: %w", err)
	}
	res, shape, err := matmulF64(av, bv, a.Shape(), b.Shape())
	if err != nil {
		return fmt.Errorf("QLinearMatMul: %w", err)
	}
	y, err := requantize(rc, res, shape, ys, yzp)
	if err != nil {
		return fmt.Errorf("QLinearMatMul: %w", err)
	}
	out[0] = y
	return nil
}

type qconvKernel struct {
	conv   *convKernel
	linear bool
}

func buildQConv(b *buildCtx, linear bool) (kernel, error) {
	win, err := parseWindow(b, true)
	if err != nil {
		return nil, err
	}
	group, err := b.intAttr("group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 || group > 1<<20 {
		return nil, b.errorf("attribute group is %d, want at least 1", group)
	}
	return &qconvKernel{conv: &convKernel{win: win, group: int(group), direct: true}, linear: linear}, nil
}

func (k *qconvKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	var x, w, xzp, wzp, xs, ws, ys, yzp, bias *tensor.Tensor
	at := func(i int) *tensor.Tensor {
		if i < len(in) {
			return in[i]
		}
		return nil
	}
	if k.linear {
		x, xs, xzp, w, ws, wzp, ys, yzp, bias = at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8)
		if ys == nil || yzp == nil || xs == nil || ws == nil {
			return fmt.Errorf("QLinearConv needs scales and zero points")
		}
	} else {
		x, w, xzp, wzp = at(0), at(1), at(2), at(3)
	}
	xv, err := shifted(x, xzp, 1)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	wv, err := shifted(w, wzp, 0)
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	if k.linear {
		if err := scaled(xv, x.Shape(), xs, 1); err != nil {
			return err
		}
		if err := scaled(wv, w.Shape(), ws, 0); err != nil {
			return err
		}
	}
	xf := tensor.New(tensor.Float32, x.Shape()...)
	castSlice(xf.Data(), xv)
	wf := tensor.New(tensor.Float32, w.Shape()...)
	castSlice(wf.Data(), wv)
	args := []*tensor.Tensor{xf, wf}
	if bias != nil {
		// The int32 bias is in units of x_scale·w_scale.
		bv, err := toFloat64s(bias)
		if err != nil {
			return err
		}
		sx, _ := scalarFloat(xs)
		if err := scaled(bv, []int{len(bv)}, ws, 0); err != nil {
			return err
		}
		bf := tensor.New(tensor.Float32, len(bv))
		for i := range bv {
			tensor.Data[float32](bf)[i] = float32(bv[i] * sx)
		}
		args = append(args, bf)
	}
	res := make([]*tensor.Tensor, 1)
	if err := k.conv.run(rc, args, res); err != nil {
		return err
	}
	yv := make([]float64, res[0].Len())
	castSlice(yv, res[0].Data())
	if !k.linear {
		y := rc.alloc(tensor.Int32, res[0].Shape())
		for i := range yv {
			yv[i] = math.Round(yv[i])
		}
		castSlice(y.Data(), yv)
		out[0] = y
		return nil
	}
	y, err := requantize(rc, yv, res[0].Shape(), ys, yzp)
	if err != nil {
		return err
	}
	out[0] = y
	return nil
}
