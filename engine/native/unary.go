package native

import (
	"math"

	"github.com/inferd/inferd/tensor"
)

// Elementwise math: Sqrt, Exp, Log, Erf (float types), Neg and Abs (float
// and signed integer types). Float32 is computed through float64 math and
// rounded.

func init() {
	registerUnary("Sqrt", func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{
			f32: func(d, x []float32) {
				x = x[:len(d)]
				for i := range d {
					d[i] = float32(math.Sqrt(float64(x[i])))
				}
			},
			f64: func(d, x []float64) {
				x = x[:len(d)]
				for i := range d {
					d[i] = math.Sqrt(x[i])
				}
			},
		}, nil
	})
	registerUnary("Exp", func(b *buildCtx) (*unaryKernel, error) {
		k, err := floatUnary(math.Exp)(b)
		if err == nil {
			k.f32 = expSlice
		}
		return k, err
	})
	registerUnary("Log", floatUnary(math.Log))
	registerUnarySince("Erf", 9, func(b *buildCtx) (*unaryKernel, error) {
		k, err := floatUnary(math.Erf)(b)
		if err == nil {
			k.f32 = erfSlice
		}
		return k, err
	})
	registerUnary("Neg", func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{f32: negT[float32], f64: negT[float64], i32: negT[int32], i64: negT[int64], i8: negT[int8], i16: negT[int16]}, nil
	})
	registerUnary("Abs", func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{f32: absFloat[float32], f64: absFloat[float64], i32: absT[int32], i64: absT[int64], i8: absT[int8], i16: absT[int16],
			u8: copyT[uint8], u16: copyT[uint16], u32: copyT[uint32], u64: copyT[uint64]}, nil
	})
}

// unaryKernel applies an elementwise function per element type; a nil
// function means the type is not supported.
type unaryKernel struct {
	name string
	f32  func(d, x []float32)
	f64  func(d, x []float64)
	i32  func(d, x []int32)
	i64  func(d, x []int64)
	i8   func(d, x []int8)
	i16  func(d, x []int16)
	u8   func(d, x []uint8)
	u16  func(d, x []uint16)
	u32  func(d, x []uint32)
	u64  func(d, x []uint64)
}

// registerUnary registers a one-input, one-output elementwise operator
// whose builder reads the node's attributes.
func registerUnary(name string, build func(b *buildCtx) (*unaryKernel, error)) {
	registerUnarySince(name, minOpset, build)
}

// registerUnarySince is registerUnary for an operator that first appeared
// in opset version since.
func registerUnarySince(name string, since int64, build func(b *buildCtx) (*unaryKernel, error)) {
	registerSince(name, since, func(b *buildCtx) (kernel, error) {
		if !b.hasInput(0) {
			return nil, b.errorf("%s needs an input", name)
		}
		k, err := build(b)
		if err != nil {
			return nil, err
		}
		k.name = name
		return k, nil
	})
}

func (k *unaryKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	var ok bool
	o := rc.alloc(x.DType(), x.Shape())
	switch x.DType() {
	case tensor.Float32:
		ok = mapParallel(rc, k.f32, o, x)
	case tensor.Float64:
		ok = mapParallel(rc, k.f64, o, x)
	case tensor.Int32:
		ok = mapParallel(rc, k.i32, o, x)
	case tensor.Int64:
		ok = mapParallel(rc, k.i64, o, x)
	case tensor.Int8:
		ok = mapParallel(rc, k.i8, o, x)
	case tensor.Int16:
		ok = mapParallel(rc, k.i16, o, x)
	case tensor.Uint8:
		ok = mapParallel(rc, k.u8, o, x)
	case tensor.Uint16:
		ok = mapParallel(rc, k.u16, o, x)
	case tensor.Uint32:
		ok = mapParallel(rc, k.u32, o, x)
	case tensor.Uint64:
		ok = mapParallel(rc, k.u64, o, x)
	}
	if !ok {
		return dtypeError(k.name, x.DType())
	}
	out[0] = o
	return nil
}

// mapParallel applies f to x into o in chunks; false when f is nil.
func mapParallel[T tensor.Elem](rc *runCtx, f func(d, x []T), o, x *tensor.Tensor) bool {
	if f == nil {
		return false
	}
	d, s := tensor.Data[T](o), tensor.Data[T](x)
	if rc.threads <= 1 || len(d) <= elemGrain {
		f(d, s) // no closure to allocate
		return true
	}
	parallelFor(rc.threads, len(d), elemGrain, func(lo, hi int) { f(d[lo:hi], s[lo:hi]) })
	return true
}

// floatUnary builds a float-only operator from a float64 function.
func floatUnary(f func(float64) float64) func(b *buildCtx) (*unaryKernel, error) {
	return func(b *buildCtx) (*unaryKernel, error) {
		return &unaryKernel{
			f32: func(d, x []float32) {
				x = x[:len(d)]
				for i := range d {
					d[i] = float32(f(float64(x[i])))
				}
			},
			f64: func(d, x []float64) {
				x = x[:len(d)]
				for i := range d {
					d[i] = f(x[i])
				}
			},
		}, nil
	}
}

func negT[T signedInt | float](d, x []T) {
	x = x[:len(d)]
	for i := range d {
		d[i] = -x[i]
	}
}

func absFloat[T float](d, x []T) {
	x = x[:len(d)]
	for i := range d {
		d[i] = T(math.Abs(float64(x[i])))
	}
}

func absT[T signedInt](d, x []T) {
	x = x[:len(d)]
	for i := range d {
		v := x[i]
		if v < 0 {
			v = -v
		}
		d[i] = v
	}
}

// copyT is Abs of unsigned values.
func copyT[T any](d, x []T) { copy(d, x) }
