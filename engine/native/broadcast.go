package native

import (
	"fmt"
	"slices"
	"sync"
)

// broadcastShapes returns the shape of the ONNX multidirectional (numpy)
// broadcast of shapes.
func broadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot be broadcast together", shapes)
			}
		}
	}
	return out, nil
}

// canBroadcastTo reports whether shape broadcasts unidirectionally to target.
func canBroadcastTo(shape, target []int) bool {
	if len(shape) > len(target) {
		return false
	}
	off := len(target) - len(shape)
	for i, d := range shape {
		if d != 1 && d != target[off+i] {
			return false
		}
	}
	return true
}

// bcastLayout describes an iteration over a broadcast output: dims is the
// output shape with size-1 dimensions dropped and adjacent dimensions
// merged where every operand allows it; strides[k][i] is operand k's
// element stride along dims[i] (0 where it is broadcast).
type bcastLayout struct {
	dims    []int
	strides [][]int
}

// newBcastLayout prepares iterating out (a broadcast of the operand shapes).
func newBcastLayout(out []int, operands ...[]int) bcastLayout {
	rank := len(out)
	full := make([][]int, len(operands))
	for k, s := range operands {
		st := make([]int, rank)
		acc := 1
		for i := len(s) - 1; i >= 0; i-- {
			if s[i] != 1 {
				st[rank-len(s)+i] = acc
			}
			acc *= s[i]
		}
		full[k] = st
	}
	l := bcastLayout{strides: make([][]int, len(operands))}
	for i := 0; i < rank; i++ {
		if out[i] == 1 {
			continue
		}
		if n := len(l.dims); n > 0 {
			mergeable := true
			for k := range operands {
				// Dims merge when the outer stride is the inner one times
				// the inner size (both 0 when broadcast along both).
				if l.strides[k][n-1] != full[k][i]*out[i] {
					mergeable = false
					break
				}
			}
			if mergeable {
				l.dims[n-1] *= out[i]
				for k := range operands {
					l.strides[k][n-1] = full[k][i]
				}
				continue
			}
		}
		l.dims = append(l.dims, out[i])
		for k := range operands {
			l.strides[k] = append(l.strides[k], full[k][i])
		}
	}
	if len(l.dims) == 0 {
		l.dims = []int{1}
		for k := range operands {
			l.strides[k] = []int{0}
		}
	}
	return l
}

// inner returns the length of the innermost run and the number of runs.
func (l *bcastLayout) inner() (n, runs int) {
	n = l.dims[len(l.dims)-1]
	runs = 1
	for _, d := range l.dims[:len(l.dims)-1] {
		runs *= d
	}
	return n, runs
}

// offsets computes operand k's element offset of run r.
func (l *bcastLayout) offset(k, r int) int {
	off := 0
	st := l.strides[k]
	for i := len(l.dims) - 2; i >= 0; i-- {
		d := l.dims[i]
		off += (r % d) * st[i]
		r /= d
	}
	return off
}

// innerStride is operand k's stride along the innermost dimension (0 or 1).
func (l *bcastLayout) innerStride(k int) int { return l.strides[k][len(l.dims)-1] }

// binaryFuncs are the three inner loops of a binary elementwise operator:
// both operands varying, the second fixed, the first fixed.
type binaryFuncs[T any] struct {
	vv func(dst, x, y []T)
	vs func(dst, x []T, y T)
	sv func(dst []T, x T, y []T)
}

// elemGrain is the number of elements below which elementwise loops stay
// on one goroutine.
//
// It and the other thresholds of splitting (minTaskFlops,
// gemmMinFlopsPerThread, col2imGrain, the grains of Resize and of the
// Winograd transforms) were raised fourfold when the test machine became a
// 2-vCPU VM on which moving data between the cores is slow: a cache line
// makes a round trip between them in about 450 ns, reading 256 KB the
// other core wrote takes about 40 µs and overwriting 256 KB it has just
// read about 140 µs, against 60 µs for writing and reading it back on one
// core. A region split in two then spends more on the data the other core
// wrote than it saves: a 2.4 Mflop convolution of a DB text detector took
// 16 µs on one goroutine and 41 µs split between two, and the detector, a
// YOLO-style one and a CRNN at batch 1 ran 1.2-1.6× slower on two threads
// than on one. Fourfold thresholds cut their two-thread times to 0.57-0.86
// of before, and those of an LSTM, a GELU transformer and the YOLO-style
// detector at batch 32 to 0.79-0.92, and changed ResNet-18 and MobileNetV2
// by -2 to +1% (median of three to six alternated perf runs each).
const elemGrain = 1 << 18

// bcastGeom is what two operand shapes make of a broadcasting binary
// operator: the output shape and, unless the shapes are equal, the layout.
// It is immutable once made.
type bcastGeom struct {
	xs, ys, shape []int
	l             *bcastLayout // nil when xs equals ys
}

// newBcastGeom returns the geometry of operands of shapes xs and ys.
func newBcastGeom(xs, ys []int) (*bcastGeom, error) {
	shape, err := broadcastShapes(xs, ys)
	if err != nil {
		return nil, err
	}
	g := &bcastGeom{xs: slices.Clone(xs), ys: slices.Clone(ys), shape: shape}
	if !slices.Equal(xs, ys) {
		l := newBcastLayout(shape, xs, ys)
		g.l = &l
	}
	return g, nil
}

// bcastCache keeps a kernel's geometry for the last operand shapes, so
// that steady-state runs compute and allocate none. Kernels run
// concurrently: the geometry is replaced, never changed.
type bcastCache struct {
	mu     sync.Mutex
	recent recent[bcastGeom] // of the last few operand shapes
}

// get returns the geometry of operands of shapes xs and ys.
func (c *bcastCache) get(tag uint64, xs, ys []int) (*bcastGeom, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.recent.find(tag, func(g *bcastGeom) bool { return slices.Equal(g.xs, xs) && slices.Equal(g.ys, ys) }); g != nil {
		return g, nil
	}
	g, err := newBcastGeom(xs, ys)
	if err != nil {
		return nil, err
	}
	c.recent.add(tag, g)
	return g, nil
}

// broadcastBinary computes dst = f(x, y) with broadcasting, dst having
// outShape.
func broadcastBinary[T any](rc *runCtx, f binaryFuncs[T], dst, x, y []T, outShape, xShape, yShape []int) {
	g := &bcastGeom{xs: xShape, ys: yShape, shape: outShape}
	if !slices.Equal(xShape, yShape) {
		l := newBcastLayout(outShape, xShape, yShape)
		g.l = &l
	}
	broadcastBinaryGeom(rc, f, dst, x, y, g)
}

// broadcastBinaryGeom computes dst = f(x, y) over geometry g. Regions on
// one goroutine make no closure, so that they allocate nothing.
func broadcastBinaryGeom[T any](rc *runCtx, f binaryFuncs[T], dst, x, y []T, g *bcastGeom) {
	if len(dst) == 0 {
		return
	}
	if g.l == nil {
		if rc.threads <= 1 || len(dst) <= elemGrain {
			f.vv(dst, x, y)
			return
		}
		parallelFor(rc.threads, len(dst), elemGrain, func(lo, hi int) { f.vv(dst[lo:hi], x[lo:hi], y[lo:hi]) })
		return
	}
	n, runs := g.l.inner()
	grain := max(1, elemGrain/n)
	if rc.threads <= 1 || runs <= grain {
		broadcastRuns(f, dst, x, y, g.l, 0, runs)
		return
	}
	parallelFor(rc.threads, runs, grain, func(lo, hi int) { broadcastRuns(f, dst, x, y, g.l, lo, hi) })
}

// broadcastRuns computes runs [lo, hi) of the innermost dimension of l.
func broadcastRuns[T any](f binaryFuncs[T], dst, x, y []T, l *bcastLayout, lo, hi int) {
	n := l.dims[len(l.dims)-1]
	sx, sy := l.innerStride(0), l.innerStride(1)
	for r := lo; r < hi; r++ {
		d := dst[r*n : r*n+n]
		ox, oy := l.offset(0, r), l.offset(1, r)
		switch {
		case sx == 1 && sy == 1:
			f.vv(d, x[ox:ox+n], y[oy:oy+n])
		case sx == 1:
			f.vs(d, x[ox:ox+n], y[oy])
		case sy == 1:
			f.sv(d, x[ox], y[oy:oy+n])
		default: // n == 1
			f.vv(d, x[ox:ox+1], y[oy:oy+1])
		}
	}
}

// broadcastCopy writes src, broadcast to outShape, into dst.
func broadcastCopy[T any](dst, src []T, outShape, srcShape []int) {
	if len(dst) == 0 {
		return
	}
	l := newBcastLayout(outShape, srcShape)
	n, runs := l.inner()
	s := l.innerStride(0)
	for r := range runs {
		d := dst[r*n : r*n+n]
		o := l.offset(0, r)
		if s == 1 {
			copy(d, src[o:o+n])
			continue
		}
		v := src[o]
		for i := range d {
			d[i] = v
		}
	}
}

// batchOffset returns operand k's batch index (in matrices) for output
// batch i of a layout over the batch dimensions.
func batchOffset(l *bcastLayout, k, i int) int {
	off := 0
	for d := len(l.dims) - 1; d >= 0; d-- {
		off += (i % l.dims[d]) * l.strides[k][d]
		i /= l.dims[d]
	}
	return off
}
