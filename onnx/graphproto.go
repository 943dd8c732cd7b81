package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
)

// graph converts a GraphProto, and the subgraphs of its nodes, into a Graph.
// It checks what is local to each value (tensors, types, duplicate names);
// validateGraph checks the edges afterwards.
func (d *decoder) graph(gp *onnxpb.GraphProto, depth int) (*Graph, error) {
	g, err := d.graphData(gp, depth)
	if nested(err, depth) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("graph %q: %w", gp.GetName(), err)
	}
	return g, nil
}

// graphData is graph without the graph's name in errors: the
// initializers (dense, then sparse), the inputs, outputs and value infos,
// then the nodes.
func (d *decoder) graphData(gp *onnxpb.GraphProto, depth int) (*Graph, error) {
	if depth > maxDepth {
		return nil, tooDeep("subgraphs")
	}
	g := &Graph{Name: gp.GetName(), Initializers: map[string]*tensor.Tensor{}}
	if err := d.initializers(g, gp); err != nil {
		return nil, err
	}
	if err := g.setInputs(gp.GetInput()); err != nil {
		return nil, err
	}
	var err error
	if g.Outputs, err = valueInfos("output", gp.GetOutput()); err != nil {
		return nil, err
	}
	if g.ValueInfo, err = valueInfos("value_info", gp.GetValueInfo()); err != nil {
		return nil, err
	}
	g.Nodes = make([]*Node, len(gp.GetNode()))
	for i, np := range gp.GetNode() {
		if g.Nodes[i], err = d.node(np, depth); nested(err, depth) {
			return nil, err
		} else if err != nil {
			return nil, fmt.Errorf("node #%d %s: %w", i, protoNodeLabel(np), err)
		}
	}
	return g, nil
}

// initializers decodes gp's initializers, dense then sparse, into g,
// refusing one without a name or defined twice.
func (d *decoder) initializers(g *Graph, gp *onnxpb.GraphProto) error {
	add := func(name string, t *tensor.Tensor) error {
		if name == "" {
			return fmt.Errorf("initializer without a name")
		}
		if _, dup := g.Initializers[name]; dup {
			return fmt.Errorf("initializer %q defined twice", name)
		}
		g.Initializers[name] = t
		return nil
	}
	for _, tp := range gp.GetInitializer() {
		t, err := d.tensor(tp)
		if err != nil {
			return fmt.Errorf("initializer: %w", err)
		}
		if err := add(tp.GetName(), t); err != nil {
			return err
		}
	}
	for _, sp := range gp.GetSparseInitializer() {
		t, err := d.sparse(sp)
		if err != nil {
			return fmt.Errorf("sparse initializer: %w", err)
		}
		if err := add(sp.GetValues().GetName(), t); err != nil {
			return err
		}
	}
	return nil
}

// setInputs decodes the graph's inputs: those with an initializer are
// overridable, the others its inputs proper. A name must be set and
// listed once.
func (g *Graph) setInputs(vps []*onnxpb.ValueInfoProto) error {
	seen := map[string]bool{}
	for _, vp := range vps {
		vi, err := valueInfo(vp)
		if err != nil {
			return fmt.Errorf("input: %w", err)
		}
		if vi.Name == "" {
			return fmt.Errorf("input without a name")
		}
		if seen[vi.Name] {
			return fmt.Errorf("input %q listed twice", vi.Name)
		}
		seen[vi.Name] = true
		if _, ok := g.Initializers[vi.Name]; ok {
			g.OverridableInputs = append(g.OverridableInputs, vi)
		} else {
			g.Inputs = append(g.Inputs, vi)
		}
	}
	return nil
}

func valueInfos(what string, vps []*onnxpb.ValueInfoProto) ([]ValueInfo, error) {
	out := make([]ValueInfo, len(vps))
	for i, vp := range vps {
		vi, err := valueInfo(vp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if vi.Name == "" {
			return nil, fmt.Errorf("%s #%d without a name", what, i)
		}
		out[i] = vi
	}
	return out, nil
}

func protoNodeLabel(np *onnxpb.NodeProto) string {
	n := Node{Name: np.GetName(), OpType: np.GetOpType(), Outputs: np.GetOutput()}
	return fmt.Sprintf("%q", n.Label())
}

// node converts a NodeProto. Domain "ai.onnx" is normalised to "".
func (d *decoder) node(np *onnxpb.NodeProto, depth int) (*Node, error) {
	if np.GetOpType() == "" {
		return nil, fmt.Errorf("no op_type")
	}
	n := &Node{
		Name:    np.GetName(),
		OpType:  np.GetOpType(),
		Domain:  np.GetDomain(),
		Inputs:  np.GetInput(),
		Outputs: np.GetOutput(),
		Attrs:   make(map[string]*Attribute, len(np.GetAttribute())),
		Doc:     np.GetDocString(),
	}
	if n.Domain == "ai.onnx" {
		n.Domain = ""
	}
	for _, ap := range np.GetAttribute() {
		a, err := d.attr(ap, depth)
		if nested(err, depth) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", ap.GetName(), err)
		}
		if a.Name == "" {
			return nil, fmt.Errorf("attribute without a name")
		}
		if _, dup := n.Attrs[a.Name]; dup {
			return nil, fmt.Errorf("attribute %q given twice", a.Name)
		}
		n.Attrs[a.Name] = a
	}
	return n, nil
}
