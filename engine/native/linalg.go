package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Det (the determinant of the trailing square matrices, by LU
// decomposition with partial pivoting in float64) and MaxUnpool (scatter
// pooled values back to the positions MaxPool's indices name).

func init() {
	registerSince("Det", 11, func(b *buildCtx) (kernel, error) { return kernelFunc(runDet), nil })
	registerSince("MaxUnpool", 9, buildMaxUnpool)
}

func runDet(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	xs := x.Shape()
	if len(xs) < 2 || xs[len(xs)-1] != xs[len(xs)-2] {
		return fmt.Errorf("Det input must end in a square matrix, got shape %v", xs)
	}
	v, err := floatsOf(x)
	if err != nil {
		return fmt.Errorf("Det: %w", err)
	}
	n := xs[len(xs)-1]
	count := tensor.NumElements(xs[:len(xs)-2])
	res := make([]float64, count)
	a := make([]float64, n*n)
	for m := range count {
		copy(a, v[m*n*n:(m+1)*n*n])
		res[m] = luDet(a, n)
	}
	y := rc.alloc(x.DType(), xs[:len(xs)-2])
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}

// luDet returns the determinant of the n×n matrix a, destroying it.
func luDet(a []float64, n int) float64 {
	det := 1.0
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r*n+c]) > math.Abs(a[p*n+c]) {
				p = r
			}
		}
		if a[p*n+c] == 0 {
			return 0
		}
		if p != c {
			for k := range n {
				a[c*n+k], a[p*n+k] = a[p*n+k], a[c*n+k]
			}
			det = -det
		}
		det *= a[c*n+c]
		for r := c + 1; r < n; r++ {
			f := a[r*n+c] / a[c*n+c]
			for k := c; k < n; k++ {
				a[r*n+k] -= f * a[c*n+k]
			}
		}
	}
	return det
}

func buildMaxUnpool(b *buildCtx) (kernel, error) {
	win, err := parseWindow(b, false)
	if err != nil {
		return nil, err
	}
	if win.kernel == nil {
		return nil, b.errorf("attribute kernel_shape is required")
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, idx := in[0], in[1]
		xs := x.Shape()
		r := len(win.kernel)
		if len(xs) != r+2 || !equalShape(idx.Shape(), xs) {
			return fmt.Errorf("MaxUnpool input %v and indices %v do not match %d spatial dimensions", xs, idx.Shape(), r)
		}
		// The indices address the default output shape; an explicit
		// output_shape keeps their coordinates.
		inferred := append([]int(nil), xs[:2]...)
		for i := range r {
			s := 1
			if win.strides != nil {
				s = win.strides[i]
			}
			d := (xs[2+i]-1)*s + win.kernel[i]
			if win.pads != nil {
				d -= win.pads[i] + win.pads[r+i]
			}
			inferred = append(inferred, d)
		}
		shape := inferred
		if len(in) > 2 && in[2] != nil {
			dims, err := int64sOf(in[2])
			if err != nil {
				return fmt.Errorf("MaxUnpool output_shape: %w", err)
			}
			if shape, err = dimsOf(dims); err != nil || len(shape) != len(xs) {
				return fmt.Errorf("MaxUnpool output_shape %v is invalid", dims)
			}
		}
		pos, err := intsOf(idx)
		if err != nil {
			return fmt.Errorf("MaxUnpool indices: %w", err)
		}
		y := rc.alloc(x.DType(), shape)
		take(y, tensor.New(x.DType(), 1), make([]int, y.Len())) // all zeros
		inStrides, outStrides := tensor.Strides(inferred), tensor.Strides(shape)
		for i, p := range pos {
			if p < 0 || p >= tensor.NumElements(inferred) {
				return fmt.Errorf("MaxUnpool index %d out of range for %v", p, inferred)
			}
			q := 0
			for d := range inferred {
				c := p / inStrides[d]
				p %= inStrides[d]
				if c >= shape[d] {
					return fmt.Errorf("MaxUnpool index %d falls outside output shape %v", pos[i], shape)
				}
				q += c * outStrides[d]
			}
			pos[i] = q
		}
		if err := put(y, x, pos, 1, "none"); err != nil {
			return err
		}
		out[0] = y
		return nil
	}), nil
}
