package native

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// TopK: the k largest (or smallest) values along an axis and their int64
// indices, ties broken by the lower index; k is an attribute before opset
// 10 and an input from 10. Unique: the distinct values (or sub-tensors
// along an axis), sorted or in order of first occurrence, with the index
// of each one's first occurrence, the inverse mapping and the counts.

func init() {
	register("TopK", buildTopK)
	registerSince("Unique", 11, buildUnique)
}

// buildTopK checks a TopK node's attributes (k among them before opset
// 10) and returns its kernel.
func buildTopK(b *buildCtx) (kernel, error) {
	axis, err := b.intAttr("axis", -1)
	if err != nil {
		return nil, err
	}
	largest, err := b.boolAttr("largest", true)
	if err != nil {
		return nil, err
	}
	sorted, err := b.boolAttr("sorted", true)
	if err != nil {
		return nil, err
	}
	_ = sorted // unsorted results may come in any order: sorted ones qualify
	attrK := int64(-1)
	if b.opset < 10 {
		if attrK, err = b.intAttr("k", -1); err != nil {
			return nil, err
		}
		if attrK < 0 {
			return nil, b.errorf("attribute k is required")
		}
	}
	tk := &topK{axis: axis, k: attrK, largest: largest}
	return kernelFunc(tk.run), nil
}

// topK is a TopK node: k < 0 when it comes from the second input.
type topK struct {
	axis, k int64
	largest bool
}

// run checks k and the axis, and gathers the k largest (or smallest)
// values along the axis with their indices.
func (tk *topK) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	k := tk.k
	if k < 0 {
		ks, err := int64sOf(in[1])
		if err != nil || len(ks) != 1 {
			return fmt.Errorf("TopK k must be one int64 value")
		}
		k = ks[0]
	}
	xs := x.Shape()
	a, ok := normAxis(tk.axis, len(xs))
	if !ok {
		return fmt.Errorf("TopK axis %d out of range for shape %v", tk.axis, xs)
	}
	if k < 0 || k > int64(xs[a]) {
		return fmt.Errorf("TopK k %d out of range for a dimension of %d", k, xs[a])
	}
	vals, err := toFloat64s(x)
	if err != nil {
		return fmt.Errorf("TopK: %w", err)
	}
	shape := append([]int(nil), xs...)
	shape[a] = int(k)
	idxT := rc.alloc(tensor.Int64, shape)
	src := tk.order(vals, tensor.NumElements(xs[:a]), xs[a], tensor.NumElements(xs[a+1:]), int(k), tensor.Data[int64](idxT))
	y := rc.alloc(x.DType(), shape)
	take(y, x, src)
	out[0] = y
	if len(out) > 1 {
		out[1] = idxT
	}
	return nil
}

// order sorts each of the outer×inner lines of n values of vals (NaN
// first, then by value, ties by index), writes the first k indices of
// each into idx and returns their positions in vals.
func (tk *topK) order(vals []float64, outer, n, inner, k int, idx []int64) []int {
	order := make([]int, n)
	src := make([]int, len(idx))
	for o := range outer {
		for i := range inner {
			for j := range order {
				order[j] = j
			}
			at := func(j int) float64 { return vals[(o*n+j)*inner+i] }
			slices.SortStableFunc(order, func(p, q int) int {
				vp, vq := at(p), at(q)
				if math.IsNaN(vp) || math.IsNaN(vq) {
					return cmp.Compare(boolInt(math.IsNaN(vq)), boolInt(math.IsNaN(vp)))
				}
				if tk.largest {
					return cmp.Compare(vq, vp)
				}
				return cmp.Compare(vp, vq)
			})
			for j := range k {
				pos := (o*k+j)*inner + i
				idx[pos] = int64(order[j])
				src[pos] = (o*n+order[j])*inner + i
			}
		}
	}
	return src
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildUnique returns the kernel of a Unique node: the slices along the
// axis (the elements, without one) keyed, deduplicated, sorted when asked,
// then gathered with their indices, inverse mapping and counts.
func buildUnique(b *buildCtx) (kernel, error) {
	sorted, err := b.boolAttr("sorted", true)
	if err != nil {
		return nil, err
	}
	hasAxis := b.node.Has("axis")
	axis, err := b.intAttr("axis", 0)
	if err != nil {
		return nil, err
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		xs := x.Shape()
		if !hasAxis {
			xs = []int{x.Len()}
		}
		a, ok := normAxis(axis, len(xs))
		if !ok {
			return fmt.Errorf("Unique axis %d out of range for shape %v", axis, x.Shape())
		}
		outer, n, inner := tensor.NumElements(xs[:a]), xs[a], tensor.NumElements(xs[a+1:])
		vals, numeric := uniqueKeys(x)
		keys := sliceKeys(x, vals, numeric, outer, n, inner)
		uniq := firstOccurrences(keys)
		if sorted {
			slices.SortStableFunc(uniq, func(p, q int) int { return compareSlices(x, vals, numeric, outer, n, inner, p, q) })
		}
		inverse, counts := uniqueInverse(keys, uniq)
		shape := append([]int(nil), xs...)
		shape[a] = len(uniq)
		y := rc.alloc(x.DType(), shape)
		offs := make([]int, 0, outer*len(uniq))
		for o := range outer {
			for _, j := range uniq {
				offs = append(offs, (o*n+j)*inner)
			}
		}
		takeBlocks(y, x, offs, inner)
		out[0] = y
		indices := make([]int64, len(uniq))
		for u, j := range uniq {
			indices[u] = int64(j)
		}
		set := func(i int, v []int64) {
			if i < len(out) {
				out[i] = tensor.MustFromSlice(v, len(v))
			}
		}
		set(1, indices)
		set(2, inverse)
		set(3, counts)
		return nil
	}), nil
}

// uniqueKeys returns x's values as float64 when it is numeric.
func uniqueKeys(x *tensor.Tensor) ([]float64, bool) {
	if x.DType() == tensor.String {
		return nil, false
	}
	v := make([]float64, x.Len())
	castSlice(v, x.Data())
	return v, true
}

// compareSlices orders slices p and q along the axis lexicographically.
func compareSlices(x *tensor.Tensor, vals []float64, numeric bool, outer, n, inner, p, q int) int {
	for o := range outer {
		for i := range inner {
			ep, eq := (o*n+p)*inner+i, (o*n+q)*inner+i
			var c int
			if numeric {
				c = cmp.Compare(vals[ep], vals[eq])
			} else {
				s := tensor.Data[string](x)
				c = cmp.Compare(s[ep], s[eq])
			}
			if c != 0 {
				return c
			}
		}
	}
	return 0
}

// sliceKeys renders each of the n slices of x along the axis (outer×inner
// elements each, from vals when numeric) as a string key.
func sliceKeys(x *tensor.Tensor, vals []float64, numeric bool, outer, n, inner int) []string {
	keys := make([]string, n)
	for j := range n {
		var sb []byte
		for o := range outer {
			for i := range inner {
				e := (o*n+j)*inner + i
				if numeric {
					sb = fmt.Appendf(sb, "%v,", math.Float64bits(vals[e]))
				} else {
					sb = fmt.Appendf(sb, "%q,", tensor.Data[string](x)[e])
				}
			}
		}
		keys[j] = string(sb)
	}
	return keys
}

// firstOccurrences returns the slice index of each distinct key's first
// occurrence, in order of occurrence.
func firstOccurrences(keys []string) []int {
	var uniq []int
	seen := map[string]bool{}
	for j, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, j)
		}
	}
	return uniq
}

// uniqueInverse maps each slice to the position of its key in uniq and
// counts the slices of each.
func uniqueInverse(keys []string, uniq []int) (inverse, counts []int64) {
	pos := make(map[string]int, len(uniq))
	counts = make([]int64, len(uniq))
	for u, j := range uniq {
		pos[keys[j]] = u
	}
	inverse = make([]int64, len(keys))
	for j, k := range keys {
		inverse[j] = int64(pos[k])
		counts[pos[k]]++
	}
	return inverse, counts
}
