package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// TreeEnsembleClassifier and TreeEnsembleRegressor: every tree routes a
// row from its root to a leaf by comparing one feature with a threshold
// per node (BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ,
// BRANCH_NEQ; NaN follows the true branch where missing values track
// true); the leaves' weights add up per class or target. Regressors
// aggregate trees by SUM, AVERAGE, MIN or MAX; both add base_values and
// apply the post_transform. The *_as_tensor attributes of ai.onnx.ml 3
// are read too. A classifier whose leaves all score one class and has two
// labels is the binary single-score form described in ml_linear.go.

func init() {
	registerML("TreeEnsembleClassifier", 1, func(b *buildCtx) (kernel, error) { return buildTreeEnsemble(b, true) })
	registerML("TreeEnsembleRegressor", 1, func(b *buildCtx) (kernel, error) { return buildTreeEnsemble(b, false) })
}

type treeMode uint8

const (
	modeLeaf treeMode = iota
	modeLEQ
	modeLT
	modeGTE
	modeGT
	modeEQ
	modeNEQ
)

type treeNode struct {
	mode             treeMode
	feature          int
	value            float64
	yes, no          int
	missingTrue      bool
	leafFrom, leafTo int // range of this leaf's weights in ensemble.leaves
}

type leafWeight struct {
	target int
	weight float64
}

type treeEnsemble struct {
	nodes  []treeNode
	roots  []int
	leaves []leafWeight
	base   []float64
	pt     postTransform
	// classifier
	classifier bool
	labels     classLabels
	// regressor
	targets   int
	aggregate string
	// features is one more than the largest feature index used.
	features int
}

// floatsOrTensor reads a floats attribute or its *_as_tensor variant.
func floatsOrTensor(b *buildCtx, name string) ([]float64, error) {
	f, err := b.floatsAttr(name)
	if err != nil {
		return nil, err
	}
	if f != nil {
		v := make([]float64, len(f))
		castSlice(v, f)
		return v, nil
	}
	t, err := b.tensorAttr(name + "_as_tensor")
	if err != nil || t == nil {
		return nil, err
	}
	v, err := toFloat64s(t)
	if err != nil {
		return nil, b.errorf("attribute %s_as_tensor: %v", name, err)
	}
	return v, nil
}

// buildTreeEnsemble checks a TreeEnsembleClassifier's or -Regressor's
// attributes and builds its kernel: the nodes, linked into trees, then the
// leaves' weights, base values, post transform and outputs.
func buildTreeEnsemble(b *buildCtx, classifier bool) (kernel, error) {
	e := &treeEnsemble{classifier: classifier}
	a, err := readTreeNodes(b)
	if err != nil {
		return nil, err
	}
	index, err := a.index(b)
	if err != nil {
		return nil, err
	}
	child, err := e.linkNodes(b, a, index)
	if err != nil {
		return nil, err
	}
	e.findRoots(a.treeIDs, child)
	prefix := "target"
	if classifier {
		prefix = "class"
	}
	if err := e.readLeaves(b, prefix, func(tree, node int64) (int, bool) { i, ok := index[nodeKey{tree, node}]; return i, ok }); err != nil {
		return nil, err
	}
	if e.base, err = floatsOrTensor(b, "base_values"); err != nil {
		return nil, err
	}
	if e.pt, err = parsePostTransform(b); err != nil {
		return nil, err
	}
	if err := e.readTargets(b); err != nil {
		return nil, err
	}
	if err := e.checkTargets(b, prefix); err != nil {
		return nil, err
	}
	return e, nil
}

// treeNodeAttrs holds the nodes_* attributes of an ensemble, one value per
// node (missing may be nil).
type treeNodeAttrs struct {
	treeIDs, nodeIDs, feats []int64
	yes, no, missing        []int64
	modes                   []string
	values                  []float64
}

// nodeKey identifies a node by its tree and node ids.
type nodeKey struct{ tree, node int64 }

// readTreeNodes reads the nodes_* attributes and checks that each has one
// value per node.
func readTreeNodes(b *buildCtx) (*treeNodeAttrs, error) {
	ints := func(name string) []int64 { v, _ := b.intsAttr(name); return v }
	for _, name := range []string{"nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_truenodeids", "nodes_falsenodeids"} {
		if _, err := b.intsAttr(name); err != nil {
			return nil, err
		}
	}
	a := &treeNodeAttrs{treeIDs: ints("nodes_treeids"), nodeIDs: ints("nodes_nodeids"), feats: ints("nodes_featureids"),
		yes: ints("nodes_truenodeids"), no: ints("nodes_falsenodeids"), missing: ints("nodes_missing_value_tracks_true")}
	var err error
	if a.modes, err = b.stringsAttr("nodes_modes"); err != nil {
		return nil, err
	}
	if a.values, err = floatsOrTensor(b, "nodes_values"); err != nil {
		return nil, err
	}
	n := len(a.nodeIDs)
	if n == 0 {
		return nil, b.errorf("the ensemble has no nodes")
	}
	for _, c := range []struct {
		name string
		len  int
	}{{"nodes_treeids", len(a.treeIDs)}, {"nodes_featureids", len(a.feats)}, {"nodes_modes", len(a.modes)},
		{"nodes_values", len(a.values)}, {"nodes_truenodeids", len(a.yes)}, {"nodes_falsenodeids", len(a.no)}} {
		if c.len != n {
			return nil, b.errorf("attribute %s has %d values for %d nodes", c.name, c.len, n)
		}
	}
	if a.missing != nil && len(a.missing) != n {
		return nil, b.errorf("attribute nodes_missing_value_tracks_true has %d values for %d nodes", len(a.missing), n)
	}
	return a, nil
}

// index maps each node's (tree, node) ids to its position, rejecting
// nodes defined twice.
func (a *treeNodeAttrs) index(b *buildCtx) (map[nodeKey]int, error) {
	index := make(map[nodeKey]int, len(a.nodeIDs))
	for i := range a.nodeIDs {
		k := nodeKey{a.treeIDs[i], a.nodeIDs[i]}
		if _, dup := index[k]; dup {
			return nil, b.errorf("node %d of tree %d is defined twice", a.nodeIDs[i], a.treeIDs[i])
		}
		index[k] = i
	}
	return index, nil
}

// treeModes maps the nodes_modes strings to node modes.
var treeModes = map[string]treeMode{"LEAF": modeLeaf, "BRANCH_LEQ": modeLEQ, "BRANCH_LT": modeLT, "BRANCH_GTE": modeGTE,
	"BRANCH_GT": modeGT, "BRANCH_EQ": modeEQ, "BRANCH_NEQ": modeNEQ}

// linkNodes fills e.nodes from the attributes, resolving each branch's
// children to positions; it returns which nodes are some branch's child.
func (e *treeEnsemble) linkNodes(b *buildCtx, a *treeNodeAttrs, index map[nodeKey]int) ([]bool, error) {
	n := len(a.nodeIDs)
	e.nodes = make([]treeNode, n)
	child := make([]bool, n)
	for i := range n {
		m, ok := treeModes[a.modes[i]]
		if !ok {
			return nil, b.errorf("unsupported node mode %q", a.modes[i])
		}
		nd := treeNode{mode: m, value: a.values[i]}
		if m != modeLeaf {
			if a.feats[i] < 0 || a.feats[i] > 1<<24 {
				return nil, b.errorf("node %d of tree %d has feature %d", a.nodeIDs[i], a.treeIDs[i], a.feats[i])
			}
			nd.feature = int(a.feats[i])
			e.features = max(e.features, nd.feature+1)
			y, ok1 := index[nodeKey{a.treeIDs[i], a.yes[i]}]
			f, ok2 := index[nodeKey{a.treeIDs[i], a.no[i]}]
			if !ok1 || !ok2 {
				return nil, b.errorf("node %d of tree %d has a missing child", a.nodeIDs[i], a.treeIDs[i])
			}
			nd.yes, nd.no = y, f
			child[y], child[f] = true, true
			nd.missingTrue = a.missing != nil && a.missing[i] != 0
		}
		e.nodes[i] = nd
	}
	return child, nil
}

// findRoots records, per tree, the first node that is no node's child.
func (e *treeEnsemble) findRoots(treeIDs []int64, child []bool) {
	seenTree := map[int64]bool{}
	for i := range child {
		if !child[i] && !seenTree[treeIDs[i]] {
			seenTree[treeIDs[i]] = true
			e.roots = append(e.roots, i)
		}
	}
}

// readTargets reads the class labels of a classifier, or the number of
// targets and the aggregate function of a regressor.
func (e *treeEnsemble) readTargets(b *buildCtx) error {
	var err error
	if e.classifier {
		if e.labels, err = parseClassLabels(b); err != nil {
			return err
		}
		e.targets = e.labels.len()
		return nil
	}
	t, err := b.intAttr("n_targets", 1)
	if err != nil {
		return err
	}
	if t < 1 || t > 1<<20 {
		return b.errorf("attribute n_targets is %d", t)
	}
	e.targets = int(t)
	if e.aggregate, err = b.stringAttr("aggregate_function", "SUM"); err != nil {
		return err
	}
	switch e.aggregate {
	case "SUM", "AVERAGE", "MIN", "MAX":
	default:
		return b.errorf("unsupported aggregate_function %q", e.aggregate)
	}
	return nil
}

// checkTargets checks the leaf weights' targets and the number of
// base_values against the number of outputs.
func (e *treeEnsemble) checkTargets(b *buildCtx, prefix string) error {
	for _, l := range e.leaves {
		if l.target < 0 || l.target >= e.targets {
			return b.errorf("leaf weight for %s %d out of range [0, %d)", prefix, l.target, e.targets)
		}
	}
	if len(e.base) != 0 && len(e.base) != e.targets && !(e.classifier && len(e.base) == 1) {
		return b.errorf("%d base_values for %d outputs", len(e.base), e.targets)
	}
	return nil
}

// readLeaves attaches the {class,target}_* weights to their leaves.
func (e *treeEnsemble) readLeaves(b *buildCtx, prefix string, find func(tree, node int64) (int, bool)) error {
	trees, err := b.intsAttr(prefix + "_treeids")
	if err != nil {
		return err
	}
	nodes, err := b.intsAttr(prefix + "_nodeids")
	if err != nil {
		return err
	}
	ids, err := b.intsAttr(prefix + "_ids")
	if err != nil {
		return err
	}
	weights, err := floatsOrTensor(b, prefix+"_weights")
	if err != nil {
		return err
	}
	if len(trees) != len(nodes) || len(nodes) != len(ids) || len(ids) != len(weights) {
		return b.errorf("attributes %s_treeids, _nodeids, _ids and _weights differ in length", prefix)
	}
	per := make([][]leafWeight, len(e.nodes))
	for i := range ids {
		k, ok := find(trees[i], nodes[i])
		if !ok || e.nodes[k].mode != modeLeaf {
			return b.errorf("%s weight %d refers to node %d of tree %d, which is not a leaf", prefix, i, nodes[i], trees[i])
		}
		per[k] = append(per[k], leafWeight{target: int(ids[i]), weight: weights[i]})
	}
	for k, ws := range per {
		e.nodes[k].leafFrom = len(e.leaves)
		e.leaves = append(e.leaves, ws...)
		e.nodes[k].leafTo = len(e.leaves)
	}
	return nil
}

// leaf routes row through the tree rooted at root.
func (e *treeEnsemble) leaf(root int, row []float64) int {
	i := root
	for steps := 0; steps <= len(e.nodes); steps++ {
		nd := &e.nodes[i]
		if nd.mode == modeLeaf {
			return i
		}
		x := row[nd.feature]
		var yes bool
		if math.IsNaN(x) {
			yes = nd.missingTrue
		} else {
			switch nd.mode {
			case modeLEQ:
				yes = x <= nd.value
			case modeLT:
				yes = x < nd.value
			case modeGTE:
				yes = x >= nd.value
			case modeGT:
				yes = x > nd.value
			case modeEQ:
				yes = x == nd.value
			case modeNEQ:
				yes = x != nd.value
			}
		}
		if yes {
			i = nd.yes
		} else {
			i = nd.no
		}
	}
	throwf("tree ensemble: a tree has a cycle")
	return 0
}

// run scores the rows of the input with every tree, then, for a
// regressor, applies the post transform; for a classifier, picks the
// labels (classifierOutputs).
func (e *treeEnsemble) run(rc *runCtx, in, out []*tensor.Tensor) error {
	op := "TreeEnsembleRegressor"
	if e.classifier {
		op = "TreeEnsembleClassifier"
	}
	x, n, c, err := mlFloats(op, in[0])
	if err != nil {
		return err
	}
	if c < e.features {
		return fmt.Errorf("%s uses feature %d, the input has %d", op, e.features-1, c)
	}
	t := e.targets
	single := e.classifier && t == 2 && e.singleClass()
	scores := e.score(rc, x, n, c, single)
	if !e.classifier {
		for r := range n {
			e.pt.apply(scores[r*t : (r+1)*t])
		}
		out[0] = scoresTensor(scores, n, t)
		return nil
	}
	if err := e.classifierOutputs(scores, n, single, out); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// score returns the n rows' aggregated scores per target (n×targets), the
// base values added (but the one base value of the single-score form).
func (e *treeEnsemble) score(rc *runCtx, x []float64, n, c int, single bool) []float64 {
	t := e.targets
	scores := make([]float64, n*t)
	parallelFor(rc.threads, n, 16, func(lo, hi int) {
		acc := make([]float64, t)
		has := make([]bool, t)
		for r := lo; r < hi; r++ {
			row := x[r*c : (r+1)*c]
			clear(acc)
			clear(has)
			for _, root := range e.roots {
				nd := &e.nodes[e.leaf(root, row)]
				for _, lw := range e.leaves[nd.leafFrom:nd.leafTo] {
					acc[lw.target] = e.combine(acc[lw.target], lw.weight, has[lw.target])
					has[lw.target] = true
				}
			}
			for j := range acc {
				if e.aggregate == "AVERAGE" {
					acc[j] /= float64(len(e.roots))
				}
				if j < len(e.base) && !(single && len(e.base) == 1) {
					acc[j] += e.base[j]
				}
			}
			copy(scores[r*t:(r+1)*t], acc)
		}
	})
	return scores
}

// classifierOutputs sets a classifier's label output and, when asked
// for, its probabilities from the scores of n rows; single is the binary
// single-score form.
func (e *treeEnsemble) classifierOutputs(scores []float64, n int, single bool, out []*tensor.Tensor) error {
	t := e.targets
	raw := scores
	cols := t
	if single {
		// The one score is the sum over the class that has weights.
		raw = make([]float64, n)
		id := e.leaves[0].target
		for r := range n {
			raw[r] = scores[r*t+id]
			if len(e.base) == 1 {
				raw[r] += e.base[0]
			}
		}
		cols = 1
	}
	idx, sc, k, err := classify(raw, n, cols, e.labels, e.pt)
	if err != nil {
		return err
	}
	out[0] = e.labels.output(idx)
	if len(out) > 1 {
		out[1] = scoresTensor(sc, n, k)
	}
	return nil
}

// combine folds a leaf weight into a target's running aggregate.
func (e *treeEnsemble) combine(acc, w float64, has bool) float64 {
	switch e.aggregate {
	case "MIN":
		if !has || w < acc {
			return w
		}
		return acc
	case "MAX":
		if !has || w > acc {
			return w
		}
		return acc
	}
	return acc + w
}

// singleClass reports whether every leaf weight targets one class.
func (e *treeEnsemble) singleClass() bool {
	if len(e.leaves) == 0 {
		return false
	}
	for _, l := range e.leaves {
		if l.target != e.leaves[0].target {
			return false
		}
	}
	return true
}
