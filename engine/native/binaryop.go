package native

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// The machinery of broadcasting binary operators: a kernel holds one loop
// per input element type; each loop allocates its output (of the input
// type for arithmetic, bool for comparisons) and fills it.

// binaryLoop computes one binary operator for x and y of one element type,
// broadcast as g says.
type binaryLoop func(rc *runCtx, x, y *tensor.Tensor, g *bcastGeom) *tensor.Tensor

// sameLoop makes a loop whose output has the inputs' type from inner loops
// that inline the operation.
func sameLoop[T tensor.Elem](f binaryFuncs[T]) binaryLoop {
	return func(rc *runCtx, x, y *tensor.Tensor, g *bcastGeom) *tensor.Tensor {
		o := rc.alloc(x.DType(), g.shape)
		broadcastBinaryGeom(rc, f, tensor.Data[T](o), tensor.Data[T](x), tensor.Data[T](y), g)
		return o
	}
}

// mapLoop makes a loop from a function of two elements; the output type is
// R's. It suits the operators that are not on hot paths (comparisons,
// logic, Mod, BitShift).
func mapLoop[T, R tensor.Elem](f func(a, b T) R) binaryLoop {
	return func(rc *runCtx, x, y *tensor.Tensor, g *bcastGeom) *tensor.Tensor {
		o := rc.alloc(tensor.DTypeOf[R](), g.shape)
		broadcastMap(tensor.Data[R](o), tensor.Data[T](x), tensor.Data[T](y), g, f)
		return o
	}
}

// broadcastMap sets dst[i] = f(x[ix], y[iy]) over geometry g (the
// kernel's cached one, so that nothing is allocated).
func broadcastMap[T, U, R any](dst []R, x []T, y []U, g *bcastGeom, f func(T, U) R) {
	if len(dst) == 0 {
		return
	}
	l := g.l
	if l == nil {
		for i := range dst {
			dst[i] = f(x[i], y[i])
		}
		return
	}
	n, runs := l.inner()
	sx, sy := l.innerStride(0), l.innerStride(1)
	for r := range runs {
		d := dst[r*n : r*n+n]
		ox, oy := l.offset(0, r), l.offset(1, r)
		for i := range d {
			d[i] = f(x[ox+i*sx], y[oy+i*sy])
		}
	}
}

// binaryKernel is a broadcasting binary operator.
type binaryKernel struct {
	name  string
	loops map[tensor.DType]binaryLoop
	// legacyAxis, when >= 0, aligns the second input's dimensions with the
	// first's starting at this axis (opset < 7, broadcast=1 with axis).
	legacyAxis int
	// geom caches the geometry of the last shapes (shared by copies).
	geom *bcastCache
}

// registerBinary registers a broadcasting binary operator for all opsets.
func registerBinary(name string, loops map[tensor.DType]binaryLoop) {
	registerBinarySince(name, minOpset, loops)
}

// registerBinarySince registers a broadcasting binary operator that first
// appeared in opset since.
func registerBinarySince(name string, since int64, loops map[tensor.DType]binaryLoop) {
	registerSince(name, since, func(b *buildCtx) (kernel, error) {
		if len(b.node.Inputs) != 2 || !b.hasInput(0) || !b.hasInput(1) {
			return nil, b.errorf("%s needs 2 inputs, got %d", name, len(b.node.Inputs))
		}
		axis, err := legacyBroadcast(b)
		if err != nil {
			return nil, err
		}
		return &binaryKernel{name: name, loops: loops, legacyAxis: axis, geom: &bcastCache{}}, nil
	})
}

// legacyBroadcast reads the broadcast and axis attributes of binary
// operators before opset 7. It returns the axis at which the second input
// aligns, or -1 for numpy-style (trailing) alignment.
func legacyBroadcast(b *buildCtx) (int, error) {
	if b.opset >= 7 {
		if b.node.Has("broadcast") || b.node.Has("axis") && b.node.OpType != "BitShift" {
			return -1, b.errorf("attributes broadcast and axis belong to opset < 7")
		}
		return -1, nil
	}
	bc, err := b.boolAttr("broadcast", false)
	if err != nil {
		return -1, err
	}
	axis, err := b.intAttr("axis", -1)
	if err != nil {
		return -1, err
	}
	if !bc || !b.node.Has("axis") {
		return -1, nil
	}
	if axis < 0 {
		return -1, b.errorf("negative axis %d is not allowed before opset 7", axis)
	}
	return int(axis), nil
}

// alignLegacy reshapes y for a legacy broadcast at axis of a rank-r x: its
// dimensions are followed by ones up to rank r.
func alignLegacy(y *tensor.Tensor, axis, r int) (*tensor.Tensor, error) {
	if axis < 0 {
		return y, nil
	}
	if axis+y.Rank() > r {
		return nil, fmt.Errorf("second input of shape %v does not fit at axis %d of a rank-%d input", y.Shape(), axis, r)
	}
	shape := append([]int(nil), y.Shape()...)
	for len(shape) < r-axis {
		shape = append(shape, 1)
	}
	return y.Reshape(shape...)
}

func (k *binaryKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, y := in[0], in[1]
	if err := sameDType(k.name, x, y); err != nil {
		return err
	}
	y, err := alignLegacy(y, k.legacyAxis, x.Rank())
	if err != nil {
		return fmt.Errorf("%s: %w", k.name, err)
	}
	loop, ok := k.loops[x.DType()]
	if !ok {
		return dtypeError(k.name, x.DType())
	}
	g, err := k.geom.get(rc.tag, x.Shape(), y.Shape())
	if err != nil {
		return fmt.Errorf("%s: %w", k.name, err)
	}
	out[0] = loop(rc, x, y, g)
	return nil
}
