package native

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// ZipMap turns an [N, C] tensor of class scores into a sequence of N maps
// from class label (string or int64) to score. Inside the engine its
// output stays the dense tensor: Session.Run returns it as such (column j
// is the j-th label's score) and RunValues converts it to the sequence of
// maps at the boundary. No operator can read a ZipMap's output (the
// planner rejects graphs where one does), which is how converters use it.

func init() { registerML("ZipMap", 1, buildZipMap) }

type zipMapKernel struct {
	strLabels []string
	intLabels []int64
}

func buildZipMap(b *buildCtx) (kernel, error) {
	k := &zipMapKernel{}
	var err error
	if k.strLabels, err = b.stringsAttr("classlabels_strings"); err != nil {
		return nil, err
	}
	if k.intLabels, err = b.intsAttr("classlabels_int64s"); err != nil {
		return nil, err
	}
	if (k.strLabels == nil) == (k.intLabels == nil) {
		return nil, b.errorf("exactly one of classlabels_strings and classlabels_int64s is required")
	}
	return k, nil
}

// classes is the number of labels.
func (k *zipMapKernel) classes() int { return max(len(k.strLabels), len(k.intLabels)) }

func (k *zipMapKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	if x.DType() != tensor.Float32 {
		return dtypeError("ZipMap", x.DType())
	}
	c := k.classes()
	switch {
	case x.Rank() == 1 && x.Len() == c:
		r, err := x.Reshape(1, c)
		if err != nil {
			return err
		}
		out[0] = r
	case x.Rank() == 2 && x.Shape()[1] == c:
		out[0] = x
	default:
		return fmt.Errorf("ZipMap input of shape %v does not have %d classes", x.Shape(), c)
	}
	return nil
}

// toMaps converts the dense [N, C] output into N maps.
func (k *zipMapKernel) toMaps(t *tensor.Tensor) *onnx.Value {
	c := k.classes()
	d := tensor.Data[float32](t)
	n := 0
	if c > 0 {
		n = len(d) / c
	}
	seq := &onnx.Value{Kind: onnx.KindSequence, Elems: make([]*onnx.Value, n)}
	for i := range n {
		m := &onnx.Value{Kind: onnx.KindMap, Elems: make([]*onnx.Value, c)}
		if k.strLabels != nil {
			m.Keys = tensor.MustFromSlice(append([]string(nil), k.strLabels...), c)
		} else {
			m.Keys = tensor.MustFromSlice(append([]int64(nil), k.intLabels...), c)
		}
		for j := range c {
			m.Elems[j] = &onnx.Value{Kind: onnx.KindTensor, Tensor: tensor.Scalar(d[i*c+j])}
		}
		seq.Elems[i] = m
	}
	return seq
}
