package native

import (
	"fmt"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// StringNormalizer (opset 10): removes stop words (case-sensitively or
// not) from a [C] or [1, C] string tensor and changes the case of what is
// left. When every word is removed the output holds one empty string.

func init() { registerSince("StringNormalizer", 10, buildStringNormalizer) }

func buildStringNormalizer(b *buildCtx) (kernel, error) {
	action, err := b.stringAttr("case_change_action", "NONE")
	if err != nil {
		return nil, err
	}
	if action != "NONE" && action != "LOWER" && action != "UPPER" {
		return nil, b.errorf("attribute case_change_action is %q, want NONE, LOWER or UPPER", action)
	}
	sensitive, err := b.boolAttr("is_case_sensitive", false)
	if err != nil {
		return nil, err
	}
	words, err := b.stringsAttr("stopwords")
	if err != nil {
		return nil, err
	}
	stop := map[string]bool{}
	for _, w := range words {
		if !sensitive {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		if x.DType() != tensor.String {
			return dtypeError("StringNormalizer", x.DType())
		}
		xs := x.Shape()
		if !(len(xs) == 1 || len(xs) == 2 && xs[0] == 1) {
			return fmt.Errorf("StringNormalizer input must be [C] or [1, C], got %v", xs)
		}
		var kept []string
		for _, s := range tensor.Data[string](x) {
			key := s
			if !sensitive {
				key = strings.ToLower(s)
			}
			if stop[key] {
				continue
			}
			switch action {
			case "LOWER":
				s = strings.ToLower(s)
			case "UPPER":
				s = strings.ToUpper(s)
			}
			kept = append(kept, s)
		}
		if len(kept) == 0 {
			kept = []string{""}
		}
		shape := []int{len(kept)}
		if len(xs) == 2 {
			shape = []int{1, len(kept)}
		}
		out[0] = tensor.MustFromSlice(kept, shape...)
		return nil
	}), nil
}
