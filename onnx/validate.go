package onnx

import (
	"container/heap"
	"fmt"
	"maps"
	"slices"
)

// scope is the set of value names visible in a graph: its own and, through
// parent, those of the graphs enclosing it.
type scope struct {
	names  map[string]bool
	parent *scope
}

func (s *scope) has(name string) bool {
	for ; s != nil; s = s.parent {
		if s.names[name] {
			return true
		}
	}
	return false
}

// validateGraph checks g's edges: every node input and graph output names a
// graph input, an initializer, a node output or (for subgraphs) a value of
// an enclosing graph; no value is produced twice; there is no cycle. Nodes
// listed out of topological order are sorted (stably). It returns the
// outer-scope names g uses, so that the enclosing graph orders the node
// that owns g after their producers.
func validateGraph(g *Graph, outer *scope) (map[string]bool, error) {
	free, err := validateGraphData(g, outer)
	if err != nil {
		return nil, fmt.Errorf("graph %q: %w", g.Name, err)
	}
	return free, nil
}

// validateGraphData is validateGraph without the graph's name in errors.
func validateGraphData(g *Graph, outer *scope) (map[string]bool, error) {
	d, err := newGraphDeps(g, outer)
	if err != nil {
		return nil, err
	}
	here := d.scope()
	for i, n := range g.Nodes {
		if err := d.useInputs(i, n); err != nil {
			return nil, err
		}
		if err := d.useSubgraphs(i, n, here); err != nil {
			return nil, err
		}
	}
	for _, vi := range g.Outputs {
		if !d.resolve(-1, vi.Name) {
			return nil, fmt.Errorf("output %q is not produced by any node, nor a graph input or initializer", vi.Name)
		}
	}
	if !d.sorted {
		order, err := topoSort(g.Nodes, d.succ, d.indeg)
		if err != nil {
			return nil, err
		}
		g.Nodes = order
	}
	return d.free, nil
}

// graphDeps records where each value of a graph comes from and, as the
// nodes' uses are resolved, the edges between nodes.
type graphDeps struct {
	sources  map[string]string // graph input or initializer -> what it is, for messages
	producer map[string]int    // node output -> index of its node
	outer    *scope
	free     map[string]bool // outer-scope names used
	succ     [][]int         // succ[j]: the nodes that use an output of node j
	indeg    []int
	sorted   bool // every use so far comes after its producer
}

// newGraphDeps indexes g's initializers, inputs and node outputs, refusing
// a value produced twice.
func newGraphDeps(g *Graph, outer *scope) (*graphDeps, error) {
	d := &graphDeps{sources: map[string]string{}, producer: map[string]int{}, outer: outer, free: map[string]bool{},
		succ: make([][]int, len(g.Nodes)), indeg: make([]int, len(g.Nodes)), sorted: true}
	for name := range g.Initializers {
		d.sources[name] = "an initializer"
	}
	for _, vi := range g.Inputs {
		d.sources[vi.Name] = "a graph input"
	}
	for i, n := range g.Nodes {
		for _, out := range n.Outputs {
			if out == "" {
				continue
			}
			if what, ok := d.sources[out]; ok {
				return nil, fmt.Errorf("node %q: output %q is already %s", n.Label(), out, what)
			}
			if j, ok := d.producer[out]; ok {
				return nil, fmt.Errorf("node %q: output %q is already produced by node %q", n.Label(), out, g.Nodes[j].Label())
			}
			d.producer[out] = i
		}
	}
	return d, nil
}

// scope is the set of the graph's own names, inside the outer scope: what
// its subgraphs see.
func (d *graphDeps) scope() *scope {
	here := &scope{names: make(map[string]bool, len(d.sources)+len(d.producer)), parent: d.outer}
	for name := range d.sources {
		here.names[name] = true
	}
	for name := range d.producer {
		here.names[name] = true
	}
	return here
}

// resolve records that node i (or the graph's outputs, i < 0) uses name
// and reports whether name is visible.
func (d *graphDeps) resolve(i int, name string) bool {
	if j, ok := d.producer[name]; ok {
		if i >= 0 {
			d.succ[j] = append(d.succ[j], i)
			d.indeg[i]++
			d.sorted = d.sorted && j < i
		}
		return true
	}
	if _, ok := d.sources[name]; ok {
		return true
	}
	if d.outer.has(name) {
		d.free[name] = true
		return true
	}
	return false
}

// useInputs resolves node i's inputs.
func (d *graphDeps) useInputs(i int, n *Node) error {
	for _, in := range n.Inputs {
		if in != "" && !d.resolve(i, in) {
			return fmt.Errorf("node %q: input %q is not a graph input, initializer, outer-scope value or output of any node", n.Label(), in)
		}
	}
	return nil
}

// useSubgraphs validates node i's subgraphs in the scope here and resolves
// the names they use from it; the names of enclosing graphs are free.
func (d *graphDeps) useSubgraphs(i int, n *Node, here *scope) error {
	for _, name := range sortedAttrNames(n) {
		for _, sub := range subgraphs(n.Attrs[name]) {
			used, err := validateGraph(sub, here)
			if err != nil {
				return fmt.Errorf("node %q: attribute %q: %w", n.Label(), name, err)
			}
			for u := range used {
				if !here.names[u] {
					d.free[u] = true
					continue
				}
				d.resolve(i, u)
			}
		}
	}
	return nil
}

// sortedAttrNames lists n's attribute names in order, so that errors are
// deterministic.
func sortedAttrNames(n *Node) []string { return slices.Sorted(maps.Keys(n.Attrs)) }

// subgraphs returns the graphs an attribute holds.
func subgraphs(a *Attribute) []*Graph {
	switch {
	case a.Type == AttrGraph && a.Graph != nil:
		return []*Graph{a.Graph}
	case a.Type == AttrGraphs:
		return a.Graphs
	}
	return nil
}

// topoSort orders nodes so that every node follows its producers, keeping
// the file's order wherever the edges allow (Kahn's algorithm, always
// taking the earliest ready node). It fails when the edges form a cycle.
func topoSort(nodes []*Node, succ [][]int, indeg []int) ([]*Node, error) {
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]*Node, 0, len(nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, nodes[i])
		for _, j := range succ[i] {
			if indeg[j]--; indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(order) < len(nodes) {
		return nil, fmt.Errorf("node %q is part of a cycle", nodes[cycleMember(succ, indeg)].Label())
	}
	return order, nil
}

// cycleMember returns a node on a cycle among the nodes Kahn's algorithm
// left unordered (indeg > 0): each of them has an unordered predecessor, so
// walking predecessors from any of them must revisit a node, which is on a
// cycle.
func cycleMember(succ [][]int, indeg []int) int {
	pred := make([]int, len(indeg))
	for i := range pred {
		pred[i] = -1
	}
	start := -1
	for i, s := range succ {
		if indeg[i] == 0 {
			continue
		}
		start = i
		for _, j := range s {
			if indeg[j] > 0 {
				pred[j] = i
			}
		}
	}
	seen := make([]bool, len(indeg))
	i := start
	for !seen[i] {
		seen[i] = true
		i = pred[i]
	}
	return i
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
