package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/tensor"
)

// Spec is a pipeline.yaml: the pipeline's inputs, its steps and its
// outputs.
type Spec struct {
	Description string `yaml:"description"`
	// Inputs declare the tensors a request gives, as a model's config.yaml
	// does (name, datatype, shape with -1 for variable dimensions).
	Inputs []model.TensorSpec `yaml:"inputs"`
	Steps  []Step             `yaml:"steps"`
	// Outputs name the tensors the pipeline answers with and where each
	// comes from.
	Outputs []Output `yaml:"outputs"`
}

// Step is one node of the graph: a model (Model) or a built-in operation
// (Op), never both.
type Step struct {
	Name string `yaml:"name"`
	// Model names a served model; Version is a version number, a label,
	// or empty for the model's default route (its traffic split).
	Model   string `yaml:"model"`
	Version string `yaml:"version"`
	// Op names a built-in operation; Args are its arguments.
	Op   string    `yaml:"op"`
	Args yaml.Node `yaml:"args"`
	// Inputs map the step's input names (the model's inputs, or the
	// operation's) to references: pipeline.inputs.NAME or
	// STEP.outputs.NAME.
	Inputs map[string]string `yaml:"inputs"`
	// Timeout bounds the step (0: only the request's deadline).
	Timeout time.Duration `yaml:"timeout"`
	// Soft steps do not fail the request: their outputs are marked
	// missing, and the steps that need them are skipped.
	Soft bool `yaml:"soft"`
	// When, if set, runs the step only when the condition holds; else its
	// outputs are missing.
	When *Condition `yaml:"when"`
}

// Names are the models (and pipelines) the steps name, sorted: those of
// model steps, and the "model" argument of built-in steps (the labels
// step's). A pipeline built from the spec depends on nothing else served.
func (s *Spec) Names() []string {
	var names []string
	for _, st := range s.Steps {
		if st.Model != "" {
			names = append(names, st.Model)
		}
		if m := argModel(&st.Args); m != "" {
			names = append(names, m)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// argModel is the value of a "model" key of args ("" for none).
func argModel(args *yaml.Node) string {
	if args.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(args.Content); i += 2 {
		if k, v := args.Content[i], args.Content[i+1]; k.Value == "model" && v.Kind == yaml.ScalarNode {
			return v.Value
		}
	}
	return ""
}

// Condition holds when any element (every element, with All) of Tensor
// compares to Value as Op says.
type Condition struct {
	Tensor string  `yaml:"tensor"`
	Op     string  `yaml:"op"` // gt, ge, lt, le, eq, ne
	Value  float64 `yaml:"value"`
	All    bool    `yaml:"all"`
}

// Output is one tensor the pipeline answers with.
type Output struct {
	Name string `yaml:"name"`
	From string `yaml:"from"`
}

// ErrInvalidSpec wraps every error of Parse.
var ErrInvalidSpec = errors.New("invalid pipeline")

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)

// Parse decodes and checks a pipeline.yaml on its own (Compile checks it
// against the models). Unknown keys are errors.
func Parse(data []byte) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidSpec, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	return &s, nil
}

func (s *Spec) validate() error {
	if len(s.Inputs) == 0 {
		return errors.New("inputs: at least one is required")
	}
	for i, in := range s.Inputs {
		if in.Name == "" || in.DataType == tensor.Invalid {
			return fmt.Errorf("inputs[%d]: name and datatype are required", i)
		}
	}
	if len(s.Steps) == 0 {
		return errors.New("steps: at least one is required")
	}
	seen := map[string]bool{"pipeline": true}
	for i, st := range s.Steps {
		if err := st.validate(); err != nil {
			return fmt.Errorf("steps[%d]: %w", i, err)
		}
		if seen[st.Name] {
			return fmt.Errorf("steps[%d]: step name %q is used twice (or is reserved)", i, st.Name)
		}
		seen[st.Name] = true
	}
	if len(s.Outputs) == 0 {
		return errors.New("outputs: at least one is required")
	}
	names := map[string]bool{}
	for i, o := range s.Outputs {
		if o.Name == "" || names[o.Name] {
			return fmt.Errorf("outputs[%d]: name %q is empty or used twice", i, o.Name)
		}
		names[o.Name] = true
		if _, err := parseRef(o.From); err != nil {
			return fmt.Errorf("outputs[%d] (%s): from: %w", i, o.Name, err)
		}
	}
	return nil
}

func (st *Step) validate() error {
	if !nameRE.MatchString(st.Name) {
		return fmt.Errorf("name: %q is not a step name (letters, digits, _ -)", st.Name)
	}
	switch {
	case (st.Model == "") == (st.Op == ""):
		return fmt.Errorf("step %q: exactly one of model and op is required", st.Name)
	case st.Op != "" && st.Version != "":
		return fmt.Errorf("step %q: version applies to model steps only", st.Name)
	case st.Model != "" && !st.Args.IsZero():
		return fmt.Errorf("step %q: args apply to op steps only", st.Name)
	case st.Timeout < 0:
		return fmt.Errorf("step %q: timeout: must not be negative", st.Name)
	}
	for _, in := range sortedNames(st.Inputs) { // the same error every time
		if _, err := parseRef(st.Inputs[in]); err != nil {
			return fmt.Errorf("step %q: inputs.%s: %w", st.Name, in, err)
		}
	}
	if c := st.When; c != nil {
		if _, err := parseRef(c.Tensor); err != nil {
			return fmt.Errorf("step %q: when.tensor: %w", st.Name, err)
		}
		if _, ok := compares[c.Op]; !ok {
			return fmt.Errorf("step %q: when.op: %q is not gt, ge, lt, le, eq or ne", st.Name, c.Op)
		}
	}
	return nil
}

// ref is a parsed reference: the pipeline's input (step "") or a step's
// output.
type ref struct {
	step, tensor string
	// node is 1 + the index of step's node once compiled (0: look the
	// step up by name), so that a run finds the tensor without a map
	// lookup by step name.
	node int
}

func (r ref) String() string {
	if r.step == "" {
		return "pipeline.inputs." + r.tensor
	}
	return r.step + ".outputs." + r.tensor
}

func parseRef(s string) (ref, error) {
	step, rest, ok := strings.Cut(s, ".")
	if ok {
		if name, ok := strings.CutPrefix(rest, "inputs."); ok && step == "pipeline" && name != "" {
			return ref{tensor: name}, nil
		}
		if name, ok := strings.CutPrefix(rest, "outputs."); ok && step != "pipeline" && name != "" {
			return ref{step: step, tensor: name}, nil
		}
	}
	return ref{}, fmt.Errorf("%q is not pipeline.inputs.NAME or STEP.outputs.NAME", s)
}

// compares are the operators of a condition.
var compares = map[string]func(a, b float64) bool{
	"gt": func(a, b float64) bool { return a > b },
	"ge": func(a, b float64) bool { return a >= b },
	"lt": func(a, b float64) bool { return a < b },
	"le": func(a, b float64) bool { return a <= b },
	"eq": func(a, b float64) bool { return a == b },
	"ne": func(a, b float64) bool { return a != b },
}
