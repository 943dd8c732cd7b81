package native

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Optional, OptionalHasElement and OptionalGetElement (opset 15).

func init() {
	registerSince("Optional", 15, func(b *buildCtx) (kernel, error) {
		if !b.hasInput(0) && !b.node.Has("type") {
			return nil, b.errorf("an Optional without input needs the type attribute")
		}
		return valueFunc(func(rc *runCtx, in, out []*onnx.Value) error {
			opt := &onnx.Value{Kind: onnx.KindOptional}
			if len(in) > 0 && in[0] != nil {
				opt.Elem = detach(in[0])
			}
			out[0] = opt
			return nil
		}), nil
	})
	registerSince("OptionalHasElement", 15, func(b *buildCtx) (kernel, error) {
		return valueFunc(func(rc *runCtx, in, out []*onnx.Value) error {
			has := len(in) > 0 && in[0] != nil && (in[0].Kind != onnx.KindOptional || in[0].Elem != nil)
			out[0] = &onnx.Value{Kind: onnx.KindTensor, Tensor: tensor.Scalar(has)}
			return nil
		}), nil
	})
	registerSince("OptionalGetElement", 15, func(b *buildCtx) (kernel, error) {
		return valueFunc(func(rc *runCtx, in, out []*onnx.Value) error {
			v := in[0]
			if v == nil {
				return fmt.Errorf("OptionalGetElement needs an input")
			}
			if v.Kind != onnx.KindOptional {
				out[0] = v
				return nil
			}
			if v.Elem == nil {
				return fmt.Errorf("OptionalGetElement of an empty optional")
			}
			out[0] = v.Elem
			return nil
		}), nil
	})
}

// detach returns v with its top-level tensor copied, so that it may live
// in a sequence or optional beyond its slot's lifetime.
func detach(v *onnx.Value) *onnx.Value {
	if v.Kind == onnx.KindTensor && v.Tensor != nil {
		return &onnx.Value{Kind: onnx.KindTensor, Tensor: v.Tensor.Clone()}
	}
	return v
}
