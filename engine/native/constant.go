package native

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Constant, Identity and Dropout (inference: identity, with an all-true
// mask when asked for one).

func init() {
	register("Constant", buildConstant)
	register("Identity", func(b *buildCtx) (kernel, error) { return identityKernel{}, nil })
	register("Dropout", buildDropout)
}

// identityKernel passes its input through, tensors and (from opset 14)
// sequences and optionals alike.
type identityKernel struct{}

func (identityKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	out[0] = in[0]
	return nil
}

func (identityKernel) runValues(rc *runCtx, in, out []*onnx.Value) error {
	out[0] = in[0]
	return nil
}

func buildConstant(b *buildCtx) (kernel, error) {
	var value *tensor.Tensor
	set := 0
	for name, a := range b.node.Attrs {
		var err error
		switch name {
		case "value":
			if a.Type != onnx.AttrTensor || a.Tensor == nil {
				err = b.errorf("attribute value must be a tensor")
			}
			value = a.Tensor
		case "value_float":
			if a.Type != onnx.AttrFloat {
				err = b.errorf("attribute value_float must be a float")
			}
			value = tensor.Scalar(a.Float)
		case "value_floats":
			if a.Type != onnx.AttrFloats {
				err = b.errorf("attribute value_floats must be floats")
			}
			value = tensor.MustFromSlice(append([]float32(nil), a.Floats...), len(a.Floats))
		case "value_int":
			if a.Type != onnx.AttrInt {
				err = b.errorf("attribute value_int must be an int")
			}
			value = tensor.Scalar(a.Int)
		case "value_ints":
			if a.Type != onnx.AttrInts {
				err = b.errorf("attribute value_ints must be ints")
			}
			value = tensor.MustFromSlice(append([]int64(nil), a.Ints...), len(a.Ints))
		case "value_string":
			if a.Type != onnx.AttrString {
				err = b.errorf("attribute value_string must be a string")
			}
			value = tensor.Scalar(a.String)
		case "value_strings":
			if a.Type != onnx.AttrStrings {
				err = b.errorf("attribute value_strings must be strings")
			}
			value = tensor.MustFromSlice(append([]string(nil), a.Strings...), len(a.Strings))
		case "sparse_value":
			err = b.errorf("sparse_value is not supported")
		default:
			err = b.errorf("unknown attribute %s", name)
		}
		if err != nil {
			return nil, err
		}
		set++
	}
	if set != 1 {
		return nil, b.errorf("Constant needs exactly one value attribute, got %d", set)
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		out[0] = value
		return nil
	}), nil
}

func buildDropout(b *buildCtx) (kernel, error) {
	if b.opset >= 12 && b.hasInput(2) {
		if t := b.constInput(2); t != nil {
			if on, err := trainingFlag(t); err != nil || on && (b.constInput(1) == nil || !zeroRatio(b.consts)) {
				return nil, b.errorf("Dropout training_mode must be false for inference (or the ratio 0)")
			}
		}
	}
	// The mask is boolean from opset 10; before, it has the data's type.
	boolMask := b.opset >= 10
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		if len(in) > 2 && in[2] != nil {
			on, err := trainingFlag(in[2])
			if err != nil {
				return err
			}
			if on && !zeroRatio(in) {
				return fmt.Errorf("Dropout in training mode with a non-zero ratio is not supported (it is random)")
			}
		}
		out[0] = in[0]
		if len(out) > 1 {
			var mask *tensor.Tensor
			if boolMask {
				mask = rc.alloc(tensor.Bool, in[0].Shape())
				d := tensor.Data[bool](mask)
				for i := range d {
					d[i] = true
				}
			} else {
				mask = rc.alloc(in[0].DType(), in[0].Shape())
				if err := fillOnes(mask); err != nil {
					return err
				}
			}
			out[1] = mask
		}
		return nil
	}), nil
}

// zeroRatio reports whether Dropout's ratio input is present and 0, which
// makes training mode an identity too.
func zeroRatio(in []*tensor.Tensor) bool {
	if len(in) < 2 || in[1] == nil {
		return false
	}
	r, err := scalarFloat(in[1])
	return err == nil && r == 0
}

func trainingFlag(t *tensor.Tensor) (bool, error) {
	if t.DType() != tensor.Bool || t.Len() != 1 {
		return false, fmt.Errorf("Dropout training_mode must be a boolean scalar, got %v", t)
	}
	return tensor.Data[bool](t)[0], nil
}

// fillOnes sets every element of a float tensor to 1.
func fillOnes(t *tensor.Tensor) error {
	switch d := t.Data().(type) {
	case []float32:
		fill(d, 1)
	case []float64:
		for i := range d {
			d[i] = 1
		}
	default:
		return dtypeError("Dropout", t.DType())
	}
	return nil
}
