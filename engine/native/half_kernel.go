package native

import (
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Float16 support for every operator: a kernel whose inputs include
// float16 tensors runs on float32 copies of them, and its float32 outputs
// are rounded back to float16. Operators that handle float16 themselves
// (the casts, whose output type is not the input's) are not wrapped.

// halfNative lists the default-domain operators that handle float16
// themselves.
var halfNative = map[string]bool{"Cast": true, "CastLike": true}

type halfKernel struct{ k kernel }

// wrapHalf returns k wrapped for float16 inputs unless n's operator
// handles them itself.
func wrapHalf(n *onnx.Node, k kernel) kernel {
	if _, ok := k.(valueKernel); ok {
		return k
	}
	if normDomain(n.Domain) == "" && halfNative[n.OpType] {
		return k
	}
	return &halfKernel{k}
}

func (h *halfKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	half := false
	for _, t := range in {
		if t != nil && t.DType() == tensor.Float16 {
			half = true
			break
		}
	}
	if !half {
		return h.k.run(rc, in, out)
	}
	conv := make([]*tensor.Tensor, len(in))
	for i, t := range in {
		conv[i] = t
		if t != nil && t.DType() == tensor.Float16 {
			conv[i] = tensor.MustFromSlice(halfsToFloats(tensor.Data[uint16](t)), t.Shape()...)
		}
	}
	if err := h.k.run(rc, conv, out); err != nil {
		return err
	}
	for i, o := range out {
		if o != nil && o.DType() == tensor.Float32 {
			bits := make([]uint16, o.Len())
			floatsToHalfs(bits, tensor.Data[float32](o))
			out[i], _ = tensor.FromFloat16Bits(bits, o.Shape()...)
		}
	}
	return nil
}
