package native

import (
	"fmt"
	"sort"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// Einsum (opset 12): any equation of labelled axes, with ellipses that
// broadcast, repeated labels within an input (diagonals), explicit or
// implicit output. It iterates over every assignment of the labels once,
// accumulating products in float64: general, if not as fast as a matrix
// multiply for the equations that are one.

func init() { registerSince("Einsum", 12, buildEinsum) }

type einsumSpec struct {
	inputs   []string // labels per input, ellipsis expanded at run time
	output   string
	explicit bool
}

func buildEinsum(b *buildCtx) (kernel, error) {
	eq, err := b.stringAttr("equation", "")
	if err != nil {
		return nil, err
	}
	spec, err := parseEinsum(eq)
	if err != nil {
		return nil, b.errorf("%v", err)
	}
	if len(spec.inputs) != len(b.node.Inputs) {
		return nil, b.errorf("equation %q has %d operands for %d inputs", eq, len(spec.inputs), len(b.node.Inputs))
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		return spec.run(rc, in, out)
	}), nil
}

// parseEinsum splits an equation; "." marks an ellipsis in the labels.
func parseEinsum(eq string) (*einsumSpec, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	s := &einsumSpec{explicit: explicit, output: rhs}
	for _, op := range strings.Split(lhs, ",") {
		s.inputs = append(s.inputs, op)
	}
	check := func(t string) error {
		rest := strings.Replace(t, "...", ".", 1)
		for _, c := range rest {
			if c != '.' && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return fmt.Errorf("invalid einsum term %q", t)
			}
		}
		return nil
	}
	for _, t := range append(append([]string(nil), s.inputs...), s.output) {
		if err := check(t); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// expand replaces the ellipsis of term with n broadcast labels '0'+k,
// right-aligned to the widest ellipsis (width).
func expandEllipsis(term string, n, width int) string {
	var sb strings.Builder
	for k := width - n; k < width; k++ {
		sb.WriteByte(byte('0' + k))
	}
	return strings.Replace(term, "...", sb.String(), 1)
}

func (s *einsumSpec) run(rc *runCtx, in, out []*tensor.Tensor) error {
	width := 0
	for i, term := range s.inputs {
		letters := len(strings.ReplaceAll(term, "...", ""))
		if strings.Contains(term, "...") {
			width = max(width, in[i].Rank()-letters)
		} else if letters != in[i].Rank() {
			return fmt.Errorf("Einsum term %q does not match input of shape %v", term, in[i].Shape())
		}
	}
	terms := make([]string, len(in))
	size := map[byte]int{}
	for i, term := range s.inputs {
		n := in[i].Rank() - len(strings.ReplaceAll(term, "...", ""))
		if n < 0 {
			return fmt.Errorf("Einsum term %q does not match input of shape %v", term, in[i].Shape())
		}
		terms[i] = expandEllipsis(term, n, width)
		for j := range len(terms[i]) {
			l, d := terms[i][j], in[i].Shape()[j]
			if old, ok := size[l]; ok && old != d && old != 1 && d != 1 {
				return fmt.Errorf("Einsum label %q has sizes %d and %d", l, old, d)
			}
			if old, ok := size[l]; !ok || old == 1 {
				size[l] = d
			}
		}
	}
	outTerm := expandEllipsis(s.output, width, width)
	if !s.explicit {
		count := map[byte]int{}
		for _, t := range terms {
			for j := range len(t) {
				count[t[j]]++
			}
		}
		var letters []byte
		for l, c := range count {
			if c == 1 && l > '9' {
				letters = append(letters, l)
			}
		}
		sort.Slice(letters, func(a, b int) bool { return letters[a] < letters[b] })
		outTerm = expandEllipsis("...", width, width) + string(letters)
	}
	// All labels: output ones first, then the contracted ones.
	labels := []byte(outTerm)
	seen := map[byte]bool{}
	for _, l := range labels {
		if seen[l] {
			return fmt.Errorf("Einsum output %q repeats a label", outTerm)
		}
		if _, ok := size[l]; !ok {
			return fmt.Errorf("Einsum output label %q is not in any input", l)
		}
		seen[l] = true
	}
	for _, t := range terms {
		for j := range len(t) {
			if !seen[t[j]] {
				seen[t[j]] = true
				labels = append(labels, t[j])
			}
		}
	}
	dims := make([]int, len(labels))
	pos := map[byte]int{}
	for i, l := range labels {
		dims[i], pos[l] = size[l], i
	}
	// strides[k][i]: input k's stride for label i (summed for repeats, 0
	// where broadcast or absent).
	vals := make([][]float64, len(in))
	strides := make([][]int, len(in))
	for k, t := range terms {
		v, err := toFloat64s(in[k])
		if err != nil {
			return fmt.Errorf("Einsum: %w", err)
		}
		vals[k] = v
		st := tensor.Strides(in[k].Shape())
		strides[k] = make([]int, len(labels))
		for j := range len(t) {
			if in[k].Shape()[j] != 1 || dims[pos[t[j]]] == 1 {
				strides[k][pos[t[j]]] += st[j]
			}
		}
	}
	outShape := dims[:len(outTerm)]
	res := make([]float64, tensor.NumElements(outShape))
	inner := tensor.NumElements(dims[len(outTerm):])
	idx := make([]int, len(labels))
	offs := make([]int, len(in))
	total := len(res) * inner
	for n := 0; n < total; n++ {
		p := 1.0
		for k := range in {
			p *= vals[k][offs[k]]
		}
		res[n/max(inner, 1)] += p
		for d := len(labels) - 1; d >= 0; d-- {
			idx[d]++
			for k := range in {
				offs[k] += strides[k][d]
			}
			if idx[d] < dims[d] {
				break
			}
			for k := range in {
				offs[k] -= strides[k][d] * dims[d]
			}
			idx[d] = 0
		}
	}
	y := rc.alloc(in[0].DType(), outShape)
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}
