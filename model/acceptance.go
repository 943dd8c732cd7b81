package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// AcceptanceFile is the name of a version's acceptance tests, in the
// version directory beside the model file.
const AcceptanceFile = "acceptance.yaml"

// Acceptance are a version's golden cases: the server runs them after
// warm-up, and a version that fails one never becomes AVAILABLE.
type Acceptance struct {
	Cases []AcceptanceCase `yaml:"cases"`
}

// AcceptanceCase is one input and what its answer must be.
type AcceptanceCase struct {
	Name string `yaml:"name"`
	// Image is an image file, relative to the version directory, for the
	// model's image input; Inputs are JSON tensors by input name instead
	// (nested arrays, with the batch dimension).
	Image  string               `yaml:"image"`
	Inputs map[string]yaml.Node `yaml:"inputs"`
	// Label is the expected top class (its label, or its index).
	Label string `yaml:"label"`
	// TopK is the expected set of the top len(TopK) classes, in any order.
	TopK []string `yaml:"top_k"`
	// Score bounds the top class's score.
	Score *Range `yaml:"score"`
	// Outputs bound every value of the named outputs.
	Outputs map[string]Range `yaml:"outputs"`
	// LatencyMS is the budget of one run of the case, in milliseconds.
	LatencyMS float64 `yaml:"latency_ms"`
}

// Range is an inclusive range; either end may be left out.
type Range struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// Contains reports whether v is within the range.
func (r Range) Contains(v float64) bool {
	return (r.Min == nil || v >= *r.Min) && (r.Max == nil || v <= *r.Max)
}

func (r Range) String() string {
	var parts []string
	if r.Min != nil {
		parts = append(parts, fmt.Sprintf(">= %g", *r.Min))
	}
	if r.Max != nil {
		parts = append(parts, fmt.Sprintf("<= %g", *r.Max))
	}
	return strings.Join(parts, " and ")
}

// InputsJSON returns a case's inputs as JSON, by input name.
func (c *AcceptanceCase) InputsJSON() (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for name, node := range c.Inputs {
		var v any
		if err := node.Decode(&v); err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}

// ParseAcceptance parses and checks an acceptance.yaml (unknown keys are
// errors).
func ParseAcceptance(data []byte) (*Acceptance, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	a := &Acceptance{}
	if err := dec.Decode(a); err != nil {
		return nil, err
	}
	if len(a.Cases) == 0 {
		return nil, errors.New("no cases")
	}
	names := map[string]bool{}
	for i, c := range a.Cases {
		where := fmt.Sprintf("case %d", i+1)
		if c.Name != "" {
			where = fmt.Sprintf("case %q", c.Name)
		}
		if names[c.Name] && c.Name != "" {
			return nil, fmt.Errorf("%s: the name is used twice", where)
		}
		names[c.Name] = true
		if (c.Image == "") == (len(c.Inputs) == 0) {
			return nil, fmt.Errorf("%s: give an image or inputs", where)
		}
		if c.Label == "" && len(c.TopK) == 0 && c.Score == nil && len(c.Outputs) == 0 && c.LatencyMS == 0 {
			return nil, fmt.Errorf("%s: expects nothing: give label, top_k, score, outputs or latency_ms", where)
		}
		if c.LatencyMS < 0 {
			return nil, fmt.Errorf("%s: latency_ms must be positive", where)
		}
	}
	return a, nil
}
