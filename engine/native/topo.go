package native

import (
	"container/heap"
	"fmt"
	"strings"

	"github.com/inferd/inferd/onnx"
)

// topoOrder returns the graph's nodes in an order where every node follows
// the producers of its inputs, keeping the file's order where it already is
// one (ONNX requires it, not every exporter complies).
func (pl *planner) topoOrder() ([]*onnx.Node, error) {
	nodes := pl.g.Nodes
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, isSource := pl.ids[o]; isSource {
				return nil, fmt.Errorf("node %s: output %q redefines a graph input or initializer", n.Label(), o)
			}
			if j, dup := producer[o]; dup {
				return nil, fmt.Errorf("value %q is produced by both node %s and node %s", o, nodes[j].Label(), n.Label())
			}
			producer[o] = i
		}
	}
	users := make([][]int, len(nodes))
	waiting := make([]int, len(nodes))
	var undefined []string
	for i, n := range nodes {
		for _, in := range pl.nodeInputs(n) {
			if in == "" {
				continue
			}
			if _, isSource := pl.ids[in]; isSource {
				continue
			}
			j, ok := producer[in]
			if !ok {
				undefined = append(undefined, fmt.Sprintf("%q (node %s)", in, n.Label()))
				continue
			}
			users[j] = append(users[j], i)
			waiting[i]++
		}
	}
	if len(undefined) > 0 {
		return nil, fmt.Errorf("undefined values: %s", strings.Join(undefined, ", "))
	}
	// Kahn's algorithm, always taking the earliest ready node in file order.
	order := make([]*onnx.Node, 0, len(nodes))
	ready := newMinQueue()
	for i := range nodes {
		if waiting[i] == 0 {
			ready.push(i)
		}
	}
	for ready.len() > 0 {
		i := ready.pop()
		order = append(order, nodes[i])
		for _, u := range users[i] {
			if waiting[u]--; waiting[u] == 0 {
				ready.push(u)
			}
		}
	}
	if len(order) != len(nodes) {
		for i, w := range waiting {
			if w > 0 {
				return nil, fmt.Errorf("graph has a cycle through node %s", nodes[i].Label())
			}
		}
	}
	return order, nil
}

// minQueue is a priority queue of ints, smallest first.
type minQueue struct{ h intHeap }

func newMinQueue() *minQueue   { return &minQueue{} }
func (q *minQueue) len() int   { return len(q.h) }
func (q *minQueue) push(i int) { heap.Push(&q.h, i) }
func (q *minQueue) pop() int   { return heap.Pop(&q.h).(int) }

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
