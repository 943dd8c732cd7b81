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

// run evaluates the equation: it expands the ellipses and sizes the
// labels, orders them (output first, then contracted), and sums the
// products over every assignment of the labels.
func (s *einsumSpec) run(rc *runCtx, in, out []*tensor.Tensor) error {
	terms, width, size, err := s.expandTerms(in)
	if err != nil {
		return err
	}
	outTerm := s.outputTerm(terms, width)
	labels, err := einsumLabels(outTerm, terms, size)
	if err != nil {
		return err
	}
	dims := make([]int, len(labels))
	pos := map[byte]int{}
	for i, l := range labels {
		dims[i], pos[l] = size[l], i
	}
	vals, strides, err := einsumOperands(in, terms, dims, pos)
	if err != nil {
		return err
	}
	outShape := dims[:len(outTerm)]
	res := einsumSum(vals, strides, dims, len(outTerm))
	y := rc.alloc(in[0].DType(), outShape)
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}

// expandTerms checks each term against its input's rank, expands the
// ellipses to the widest one (width) and returns the size of every label,
// broadcasting sizes of 1.
func (s *einsumSpec) expandTerms(in []*tensor.Tensor) (terms []string, width int, size map[byte]int, err error) {
	for i, term := range s.inputs {
		letters := len(strings.ReplaceAll(term, "...", ""))
		if strings.Contains(term, "...") {
			width = max(width, in[i].Rank()-letters)
		} else if letters != in[i].Rank() {
			return nil, 0, nil, fmt.Errorf("Einsum term %q does not match input of shape %v", term, in[i].Shape())
		}
	}
	terms = make([]string, len(in))
	size = map[byte]int{}
	for i, term := range s.inputs {
		n := in[i].Rank() - len(strings.ReplaceAll(term, "...", ""))
		if n < 0 {
			return nil, 0, nil, fmt.Errorf("Einsum term %q does not match input of shape %v", term, in[i].Shape())
		}
		terms[i] = expandEllipsis(term, n, width)
		for j := range len(terms[i]) {
			l, d := terms[i][j], in[i].Shape()[j]
			if old, ok := size[l]; ok && old != d && old != 1 && d != 1 {
				return nil, 0, nil, fmt.Errorf("Einsum label %q has sizes %d and %d", l, old, d)
			}
			if old, ok := size[l]; !ok || old == 1 {
				size[l] = d
			}
		}
	}
	return terms, width, size, nil
}

// outputTerm is the explicit output with its ellipsis expanded or, for an
// implicit output, the ellipsis then the labels used once, alphabetically.
func (s *einsumSpec) outputTerm(terms []string, width int) string {
	if s.explicit {
		return expandEllipsis(s.output, width, width)
	}
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
	return expandEllipsis("...", width, width) + string(letters)
}

// einsumLabels lists all labels: the output's first, then the contracted
// ones in order of appearance. The output may not repeat a label or use
// one that no input has.
func einsumLabels(outTerm string, terms []string, size map[byte]int) ([]byte, error) {
	labels := []byte(outTerm)
	seen := map[byte]bool{}
	for _, l := range labels {
		if seen[l] {
			return nil, fmt.Errorf("Einsum output %q repeats a label", outTerm)
		}
		if _, ok := size[l]; !ok {
			return nil, fmt.Errorf("Einsum output label %q is not in any input", l)
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
	return labels, nil
}

// einsumOperands returns each input's values in float64 and its strides
// per label: strides[k][i] is input k's stride for label i (summed for
// repeats, 0 where broadcast or absent).
func einsumOperands(in []*tensor.Tensor, terms []string, dims []int, pos map[byte]int) ([][]float64, [][]int, error) {
	vals := make([][]float64, len(in))
	strides := make([][]int, len(in))
	for k, t := range terms {
		v, err := toFloat64s(in[k])
		if err != nil {
			return nil, nil, fmt.Errorf("Einsum: %w", err)
		}
		vals[k] = v
		st := tensor.Strides(in[k].Shape())
		strides[k] = make([]int, len(dims))
		for j := range len(t) {
			if in[k].Shape()[j] != 1 || dims[pos[t[j]]] == 1 {
				strides[k][pos[t[j]]] += st[j]
			}
		}
	}
	return vals, strides, nil
}

// einsumSum iterates over every assignment of the labels of sizes dims
// (the first outRank of them the output's) and adds the product of the
// inputs' values into the output element.
func einsumSum(vals [][]float64, strides [][]int, dims []int, outRank int) []float64 {
	res := make([]float64, tensor.NumElements(dims[:outRank]))
	inner := tensor.NumElements(dims[outRank:])
	idx := make([]int, len(dims))
	offs := make([]int, len(vals))
	total := len(res) * inner
	for n := 0; n < total; n++ {
		p := 1.0
		for k := range vals {
			p *= vals[k][offs[k]]
		}
		res[n/max(inner, 1)] += p
		for d := len(dims) - 1; d >= 0; d-- {
			idx[d]++
			for k := range vals {
				offs[k] += strides[k][d]
			}
			if idx[d] < dims[d] {
				break
			}
			for k := range vals {
				offs[k] -= strides[k][d] * dims[d]
			}
			idx[d] = 0
		}
	}
	return res
}
