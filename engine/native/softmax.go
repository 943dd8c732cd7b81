package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/engine/native/internal/simd"
	"github.com/inferd/inferd/tensor"
)

// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
// axis (default 1) and normalised over the flattened trailing dimensions;
// from 13 it is normalised along axis (default -1) alone.

func init() {
	register("Softmax", func(b *buildCtx) (kernel, error) { return buildSoftmax(b, false) })
	register("LogSoftmax", func(b *buildCtx) (kernel, error) { return buildSoftmax(b, true) })
}

type softmaxKernel struct {
	axis      int64
	flattened bool // opset < 13 semantics
	log       bool
}

func buildSoftmax(b *buildCtx, log bool) (kernel, error) {
	def := int64(-1)
	if b.opset < 13 {
		def = 1
	}
	axis, err := b.intAttr("axis", def)
	if err != nil {
		return nil, err
	}
	return &softmaxKernel{axis: axis, flattened: b.opset < 13, log: log}, nil
}

func (k *softmaxKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	shape := x.Shape()
	axis, ok := normAxis(k.axis, len(shape))
	if !ok {
		if len(shape) == 0 && (k.axis == 0 || k.axis == -1) {
			axis = 0
			shape = []int{1}
		} else {
			return fmt.Errorf("axis %d out of range for rank %d", k.axis, len(shape))
		}
	}
	outer := tensor.NumElements(shape[:axis])
	n, inner := shape[axis], tensor.NumElements(shape[axis+1:])
	if k.flattened {
		n, inner = n*inner, 1
	}
	o := rc.alloc(x.DType(), x.Shape())
	switch x.DType() {
	case tensor.Float32:
		softmaxT(rc, tensor.Data[float32](o), tensor.Data[float32](x), outer, n, inner, k.log)
	case tensor.Float64:
		softmaxT(rc, tensor.Data[float64](o), tensor.Data[float64](x), outer, n, inner, k.log)
	default:
		return dtypeError("Softmax", x.DType())
	}
	out[0] = o
	return nil
}

// softmaxT normalises x viewed as [outer, n, inner] along n.
func softmaxT[T float](rc *runCtx, d, x []T, outer, n, inner int, log bool) {
	if len(d) == 0 {
		return
	}
	if x32, ok := any(x).([]float32); ok && !log && inner == 1 {
		softmax32(rc, any(d).([]float32), x32, outer, n)
		return
	}
	parallelFor(rc.threads, outer*inner, max(1, elemGrain/max(n, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			base := (r/inner)*n*inner + r%inner
			mx := math.Inf(-1)
			for i := range n {
				mx = max(mx, float64(x[base+i*inner]))
			}
			var sum float64
			for i := range n {
				e := math.Exp(float64(x[base+i*inner]) - mx)
				if !log {
					d[base+i*inner] = T(e)
				}
				sum += e
			}
			if log {
				ls := math.Log(sum)
				for i := range n {
					d[base+i*inner] = T(float64(x[base+i*inner]) - mx - ls)
				}
				continue
			}
			inv := 1 / sum
			for i := range n {
				d[base+i*inner] = T(float64(d[base+i*inner]) * inv)
			}
		}
	})
}

// softmax32 is Softmax over the last axis of float32 rows of n values,
// with the float32 exponential (sums in float64).
func softmax32(rc *runCtx, d, x []float32, rows, n int) {
	grain := max(1, elemGrain/max(n, 1))
	if rc.threads <= 1 || rows <= grain {
		softmaxRows32(d, x, n, 0, rows)
		return
	}
	b := softmaxBodies.get()
	*b = softmaxBody{d: d, x: x, n: n}
	parallelRange(rc.threads, rows, grain, b)
	*b = softmaxBody{}
	softmaxBodies.put(b)
}

// softmaxBody is softmax32's parallel region, recycled so that a
// steady-state run allocates no closure.
type softmaxBody struct {
	d, x []float32
	n    int
}

var softmaxBodies freeList[softmaxBody]

func (b *softmaxBody) do(lo, hi int) { softmaxRows32(b.d, b.x, b.n, lo, hi) }

// softmaxRows32 is softmax32 over rows [lo, hi).
func softmaxRows32(d, x []float32, n, lo, hi int) {
	if tk := defaultTaps(); tk.HasRowKernels() {
		tk.SoftmaxRows(d[lo*n:hi*n], x[lo*n:hi*n], n)
		return
	}
	if n <= shortSoftmaxRow {
		softmaxShortRows(d, x, n, lo, hi)
		return
	}
	softmaxLongRows(d, x, n, lo, hi)
}

// softmaxLongRows is softmaxRows32 row by row, on the vector kernels.
func softmaxLongRows(d, x []float32, n, lo, hi int) {
	for r := lo; r < hi; r++ {
		xr, dr := x[r*n:(r+1)*n], d[r*n:(r+1)*n]
		mx := rowMax(xr)
		var sum float64
		if mapSIMD(simd.VecExp, dr, xr, nil, -mx) {
			sum = rowSum(dr)
		} else {
			for i, v := range xr {
				e := exp32(v - mx)
				dr[i] = e
				sum += float64(e)
			}
		}
		scaleSlice(dr, float32(1/sum))
	}
}

// scaleSlice multiplies d by s in place, on the SIMD tap kernel when
// there is one.
func scaleSlice(d []float32, s float32) {
	if tk := defaultTaps(); tk.Width > 1 {
		w := [1]float32{s}
		tk.Sum(d, d, ewOffsets, w[:], 0, false, 0, 0)
		return
	}
	for i := range d {
		d[i] *= s
	}
}

// rowMax is the maximum of x (NaN when one is NaN; −Inf for none), over
// four independent chains.
func rowMax(x []float32) float32 {
	inf := float32(math.Inf(-1))
	m0, m1, m2, m3 := inf, inf, inf, inf
	i := 0
	for ; i+4 <= len(x); i += 4 {
		m0, m1, m2, m3 = max(m0, x[i]), max(m1, x[i+1]), max(m2, x[i+2]), max(m3, x[i+3])
	}
	for ; i < len(x); i++ {
		m0 = max(m0, x[i])
	}
	return max(m0, m1, m2, m3)
}

// rowSum is the float64 sum of x over four independent chains.
func rowSum(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}
