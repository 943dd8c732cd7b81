package pipeline

// Graph describes a compiled pipeline for display (the console): its
// inputs and outputs, and its steps in execution order with where each
// input comes from.
type Graph struct {
	Inputs  []string    `json:"inputs"`
	Outputs []GraphEdge `json:"outputs"`
	Steps   []GraphStep `json:"steps"`
}

// GraphStep is one step: a model step (Model, Version) or a built-in
// operation (Op).
type GraphStep struct {
	Name    string      `json:"name"`
	Model   string      `json:"model,omitempty"`
	Version string      `json:"version,omitempty"`
	Op      string      `json:"op,omitempty"`
	Soft    bool        `json:"soft,omitempty"`
	When    bool        `json:"conditional,omitempty"`
	Inputs  []GraphEdge `json:"inputs"`
}

// GraphEdge names a tensor (a step's input, or a pipeline output) and
// where it comes from: Step "" for a pipeline input.
type GraphEdge struct {
	Name   string `json:"name"`
	Step   string `json:"from_step,omitempty"`
	Tensor string `json:"from_tensor"`
}

// Graph returns the pipeline's graph.
func (p *Pipeline) Graph() Graph {
	g := Graph{Inputs: make([]string, 0, len(p.g.inputs)), Outputs: []GraphEdge{}, Steps: []GraphStep{}}
	for _, in := range p.g.inputs {
		g.Inputs = append(g.Inputs, in.Name)
	}
	for i, o := range p.g.outputs {
		r := p.g.outRefs[i]
		g.Outputs = append(g.Outputs, GraphEdge{Name: o.Name, Step: r.step, Tensor: r.tensor})
	}
	for _, n := range p.g.nodes {
		st := GraphStep{Name: n.name, Op: n.opName, Soft: n.soft, When: n.when != nil, Inputs: []GraphEdge{}}
		if n.op == nil {
			st.Model, st.Version = n.model, n.version
		}
		for _, name := range sortedNames(n.inputs) {
			r := n.inputs[name]
			st.Inputs = append(st.Inputs, GraphEdge{Name: name, Step: r.step, Tensor: r.tensor})
		}
		g.Steps = append(g.Steps, st)
	}
	return g
}
