package native

import (
	"fmt"

	"github.com/inferd/inferd/onnx"
)

// SequenceMap (opset 17) runs its body once per element of the input
// sequence; additional inputs are sequences (taken element by element) or
// tensors (passed whole); every body output is collected into a sequence.

func init() { registerSince("SequenceMap", 17, buildSequenceMap) }

type sequenceMapKernel struct {
	valueOnly
	body     *plan
	explicit int
}

func buildSequenceMap(b *buildCtx) (kernel, error) {
	k := &sequenceMapKernel{explicit: b.numExplicit()}
	var err error
	if k.body, err = b.subPlan("body"); err != nil {
		return nil, err
	}
	if len(k.body.inputIDs) != k.explicit || len(k.body.outputIDs) != len(b.node.Outputs) {
		return nil, b.errorf("SequenceMap body has %d inputs and %d outputs for %d inputs and %d outputs",
			len(k.body.inputIDs), len(k.body.outputIDs), k.explicit, len(b.node.Outputs))
	}
	return k, nil
}

func (k *sequenceMapKernel) runValues(rc *runCtx, in, out []*onnx.Value) error {
	seq, err := sequenceOf(in[0])
	if err != nil {
		return err
	}
	n := len(seq.Elems)
	for i := 1; i < k.explicit; i++ {
		if in[i] != nil && in[i].Kind == onnx.KindSequence && len(in[i].Elems) != n {
			return fmt.Errorf("SequenceMap input %d has %d elements, the first %d", i, len(in[i].Elems), n)
		}
	}
	results := make([]*onnx.Value, len(out))
	for j := range results {
		results[j] = &onnx.Value{Kind: onnx.KindSequence, Elems: []*onnx.Value{}}
	}
	for e := range n {
		args := make([]*onnx.Value, k.explicit)
		for i := range args {
			v := in[i]
			if v != nil && v.Kind == onnx.KindSequence {
				v = v.Elems[e]
			}
			args[i] = v
		}
		res, err := k.body.call(rc, args, in[k.explicit:])
		if err != nil {
			return fmt.Errorf("SequenceMap element %d: %w", e, err)
		}
		for j, v := range res {
			results[j].Elems = append(results[j].Elems, detach(v))
		}
	}
	copy(out, results)
	return nil
}
