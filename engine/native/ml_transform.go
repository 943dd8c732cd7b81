package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// The ONNX-ML feature transforms: Scaler, Normalizer, Imputer, Binarizer,
// ArrayFeatureExtractor and FeatureVectorizer.

func init() {
	registerML("Scaler", 1, buildScaler)
	registerML("Normalizer", 1, buildNormalizer)
	registerML("Imputer", 1, buildImputer)
	registerML("Binarizer", 1, buildBinarizer)
	registerML("ArrayFeatureExtractor", 1, func(b *buildCtx) (kernel, error) { return kernelFunc(runArrayFeatureExtractor), nil })
	registerML("FeatureVectorizer", 1, buildFeatureVectorizer)
}

// perFeature returns the value of feature j of a per-feature (or single)
// parameter list.
func perFeature(v []float64, j int) float64 {
	if len(v) == 1 {
		return v[0]
	}
	return v[j]
}

// checkPerFeature verifies a parameter list against c features.
func checkPerFeature(op, name string, v []float64, c int) error {
	if len(v) != 1 && len(v) != c {
		return fmt.Errorf("%s has %d %s values for %d features", op, len(v), name, c)
	}
	return nil
}

func buildScaler(b *buildCtx) (kernel, error) {
	offset, err := floats64(b, "offset")
	if err != nil {
		return nil, err
	}
	scale, err := floats64(b, "scale")
	if err != nil {
		return nil, err
	}
	if len(offset) == 0 {
		offset = []float64{0}
	}
	if len(scale) == 0 {
		scale = []float64{1}
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, n, c, err := mlFloats("Scaler", in[0])
		if err != nil {
			return err
		}
		if err := checkPerFeature("Scaler", "offset", offset, c); err != nil {
			return err
		}
		if err := checkPerFeature("Scaler", "scale", scale, c); err != nil {
			return err
		}
		for i := range x {
			j := i % c
			x[i] = (x[i] - perFeature(offset, j)) * perFeature(scale, j)
		}
		out[0] = mlOutput(x, in[0], n, c)
		return nil
	}), nil
}

// mlOutput makes a float32 output of the input's shape.
func mlOutput(v []float64, x *tensor.Tensor, n, c int) *tensor.Tensor {
	if x.Rank() == 1 {
		t := tensor.New(tensor.Float32, c)
		castSlice(t.Data(), v)
		return t
	}
	return scoresTensor(v, n, c)
}

func buildNormalizer(b *buildCtx) (kernel, error) {
	norm, err := b.stringAttr("norm", "MAX")
	if err != nil {
		return nil, err
	}
	if norm != "MAX" && norm != "L1" && norm != "L2" {
		return nil, b.errorf("attribute norm is %q, want MAX, L1 or L2", norm)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x, n, c, err := mlFloats("Normalizer", in[0])
		if err != nil {
			return err
		}
		for r := range n {
			row := x[r*c : (r+1)*c]
			d := math.Inf(-1) // MAX: the largest value (as ONNX Runtime)
			if norm != "MAX" {
				d = 0
			}
			for _, v := range row {
				switch norm {
				case "MAX":
					d = max(d, v)
				case "L1":
					d += math.Abs(v)
				case "L2":
					d += v * v
				}
			}
			if norm == "L2" {
				d = math.Sqrt(d)
			}
			if d != 0 && !math.IsInf(d, 0) {
				for i := range row {
					row[i] /= d
				}
			}
		}
		out[0] = mlOutput(x, in[0], n, c)
		return nil
	}), nil
}

func buildImputer(b *buildCtx) (kernel, error) {
	fl, err := floats64(b, "imputed_value_floats")
	if err != nil {
		return nil, err
	}
	ints, err := b.intsAttr("imputed_value_int64s")
	if err != nil {
		return nil, err
	}
	rf, err := b.floatAttr("replaced_value_float", float32(math.NaN()))
	if err != nil {
		return nil, err
	}
	ri, err := b.intAttr("replaced_value_int64", 0)
	if err != nil {
		return nil, err
	}
	if (len(fl) == 0) == (len(ints) == 0) {
		return nil, b.errorf("exactly one of imputed_value_floats and imputed_value_int64s is required")
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		c := 1
		if x.Rank() > 0 {
			c = x.Shape()[x.Rank()-1]
		}
		switch d := x.Data().(type) {
		case []float32, []float64:
			if len(fl) == 0 {
				return fmt.Errorf("Imputer has int64 values for a float input")
			}
			if err := checkPerFeature("Imputer", "imputed", fl, c); err != nil {
				return err
			}
			v, _ := floatsOf(x)
			for i, e := range v {
				if e == float64(rf) || math.IsNaN(e) && math.IsNaN(float64(rf)) {
					v[i] = perFeature(fl, i%c)
				}
			}
			y := rc.alloc(x.DType(), x.Shape())
			castSlice(y.Data(), v)
			out[0] = y
		case []int64:
			if len(ints) == 0 {
				return fmt.Errorf("Imputer has float values for an int64 input")
			}
			if len(ints) != 1 && len(ints) != c {
				return fmt.Errorf("Imputer has %d values for %d features", len(ints), c)
			}
			y := rc.alloc(tensor.Int64, x.Shape())
			yd := tensor.Data[int64](y)
			for i, e := range d {
				yd[i] = e
				if e == ri {
					yd[i] = ints[0]
					if len(ints) > 1 {
						yd[i] = ints[i%c]
					}
				}
			}
			out[0] = y
		default:
			return dtypeError("Imputer", x.DType())
		}
		return nil
	}), nil
}

func buildBinarizer(b *buildCtx) (kernel, error) {
	th, err := b.floatAttr("threshold", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		v, err := toFloat64s(x)
		if err != nil {
			return fmt.Errorf("Binarizer: %w", err)
		}
		for i, e := range v {
			v[i] = 0
			if e > float64(th) {
				v[i] = 1
			}
		}
		y := rc.alloc(x.DType(), x.Shape())
		castSlice(y.Data(), v)
		out[0] = y
		return nil
	}), nil
}

// runArrayFeatureExtractor selects entries of the last axis by index.
func runArrayFeatureExtractor(rc *runCtx, in, out []*tensor.Tensor) error {
	x, indices := in[0], in[1]
	idx, err := intsOf(indices)
	if err != nil {
		return fmt.Errorf("ArrayFeatureExtractor indices: %w", err)
	}
	xs := x.Shape()
	if len(xs) == 0 {
		return fmt.Errorf("ArrayFeatureExtractor input must have rank at least 1")
	}
	last := xs[len(xs)-1]
	for _, i := range idx {
		if i < 0 || i >= last {
			return fmt.Errorf("ArrayFeatureExtractor index %d out of range [0, %d)", i, last)
		}
	}
	shape := append(append([]int(nil), xs[:len(xs)-1]...), len(idx))
	if len(xs) == 1 {
		shape = []int{1, len(idx)}
	}
	rows := tensor.NumElements(xs[:len(xs)-1])
	src := make([]int, 0, rows*len(idx))
	for r := range rows {
		for _, i := range idx {
			src = append(src, r*last+i)
		}
	}
	y := rc.alloc(x.DType(), shape)
	take(y, x, src)
	out[0] = y
	return nil
}

func buildFeatureVectorizer(b *buildCtx) (kernel, error) {
	dims, err := b.intsAttr("inputdimensions")
	if err != nil {
		return nil, err
	}
	if len(dims) != len(b.node.Inputs) {
		return nil, b.errorf("inputdimensions has %d values for %d inputs", len(dims), len(b.node.Inputs))
	}
	total := 0
	for _, d := range dims {
		if d < 0 || d > 1<<24 {
			return nil, b.errorf("invalid input dimension %d", d)
		}
		total += int(d)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		n := -1
		parts := make([][]float64, len(in))
		widths := make([]int, len(in))
		for i, t := range in {
			v, rows, c, err := mlFloats("FeatureVectorizer", t)
			if err != nil {
				return err
			}
			if n >= 0 && rows != n {
				return fmt.Errorf("FeatureVectorizer inputs have %d and %d rows", n, rows)
			}
			n, parts[i], widths[i] = rows, v, c
		}
		res := make([]float64, max(n, 0)*total)
		for r := range max(n, 0) {
			off := r * total
			for i, v := range parts {
				d := int(dims[i])
				copy(res[off:off+d], v[r*widths[i]:r*widths[i]+min(d, widths[i])])
				off += d
			}
		}
		out[0] = scoresTensor(res, max(n, 0), total)
		return nil
	}), nil
}
