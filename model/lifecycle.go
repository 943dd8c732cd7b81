package model

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"

	"gopkg.in/yaml.v3"
)

// VersionPolicy chooses which versions on disk are served, as in TF
// Serving and Triton. In YAML it is "all", {latest: N} or {specific: [..]};
// the default is {latest: 1}.
type VersionPolicy struct {
	// Latest serves the N highest versions; 0 with All and Specific unset
	// means 1.
	Latest   int
	All      bool
	Specific []int
}

// UnmarshalYAML accepts `all`, `{latest: N}`, `{specific: [1, 3]}` and
// `{all: true}`.
func (p *VersionPolicy) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value != "all" {
			return fmt.Errorf("line %d: version_policy: %q is not all, {latest: N} or {specific: [...]}", n.Line, n.Value)
		}
		p.All = true
		return nil
	}
	var raw struct {
		Latest   *int  `yaml:"latest"`
		All      *bool `yaml:"all"`
		Specific []int `yaml:"specific"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains([]string{"latest", "all", "specific"}, k.Value) {
			return fmt.Errorf("line %d: unknown key %q in version_policy (want latest, all or specific)", k.Line, k.Value)
		}
	}
	set := 0
	if raw.Latest != nil {
		set++
		p.Latest = *raw.Latest
		if p.Latest <= 0 {
			return fmt.Errorf("line %d: version_policy.latest: must be a positive number of versions, got %d", n.Line, p.Latest)
		}
	}
	if raw.All != nil {
		set++
		p.All = *raw.All
	}
	if raw.Specific != nil {
		set++
		if len(raw.Specific) == 0 {
			return fmt.Errorf("line %d: version_policy.specific: lists no versions", n.Line)
		}
		for _, v := range raw.Specific {
			if v <= 0 {
				return fmt.Errorf("line %d: version_policy.specific: %d is not a version (positive integers)", n.Line, v)
			}
		}
		p.Specific = slices.Sorted(slices.Values(raw.Specific))
	}
	if set != 1 {
		return fmt.Errorf("line %d: version_policy: set exactly one of latest, all and specific", n.Line)
	}
	return nil
}

// MarshalJSON renders the policy as {"latest": N}, {"all": true} or
// {"specific": [...]}.
func (p VersionPolicy) MarshalJSON() ([]byte, error) {
	switch {
	case p.All:
		return []byte(`{"all":true}`), nil
	case len(p.Specific) > 0:
		return fmt.Appendf(nil, `{"specific":%s}`, intsJSON(p.Specific)), nil
	}
	return fmt.Appendf(nil, `{"latest":%d}`, max(p.Latest, 1)), nil
}

func intsJSON(v []int) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(x)
	}
	return s + "]"
}

// Select returns the versions, from those available on disk (ascending),
// that the policy wants served.
func (p VersionPolicy) Select(onDisk []int) []int {
	switch {
	case p.All:
		return slices.Clone(onDisk)
	case len(p.Specific) > 0:
		var out []int
		for _, v := range onDisk {
			if slices.Contains(p.Specific, v) {
				out = append(out, v)
			}
		}
		return out
	}
	n := max(p.Latest, 1)
	if len(onDisk) <= n {
		return slices.Clone(onDisk)
	}
	return slices.Clone(onDisk[len(onDisk)-n:])
}

// Traffic splits requests to the unversioned route between versions, by
// weight: {"3": 90, "4": 10}.
type Traffic map[int]int

// UnmarshalYAML reads a mapping of version ("3" or "v3") to weight.
func (t *Traffic) UnmarshalYAML(n *yaml.Node) error {
	var raw map[string]int
	if err := n.Decode(&raw); err != nil {
		return err
	}
	out, err := ParseTraffic(raw)
	if err != nil {
		return fmt.Errorf("line %d: traffic: %w", n.Line, err)
	}
	*t = out
	return nil
}

// ParseTraffic validates a version-to-weight mapping: versions as "3" or
// "v3", weights non-negative with a positive sum.
func ParseTraffic(raw map[string]int) (Traffic, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("names no versions")
	}
	out := Traffic{}
	sum := 0
	for _, k := range slices.Sorted(maps.Keys(raw)) { // the same error every time
		w := raw[k]
		v, err := ParseVersion(k)
		if err != nil {
			return nil, err
		}
		if _, dup := out[v]; dup {
			return nil, fmt.Errorf("version %d is listed twice", v)
		}
		if w < 0 {
			return nil, fmt.Errorf("version %d has a negative weight %d", v, w)
		}
		out[v] = w
		sum += w
	}
	if sum <= 0 {
		return nil, fmt.Errorf("weights add up to 0")
	}
	return out, nil
}

// Versions lists the versions with a positive weight, ascending.
func (t Traffic) Versions() []int {
	var vs []int
	for v, w := range t {
		if w > 0 {
			vs = append(vs, v)
		}
	}
	sort.Ints(vs)
	return vs
}

// MarshalJSON renders the split as {"3": 90, "4": 10}.
func (t Traffic) MarshalJSON() ([]byte, error) {
	s := "{"
	for i, v := range slices.Sorted(func(yield func(int) bool) {
		for k := range t {
			if !yield(k) {
				return
			}
		}
	}) {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`"%d":%d`, v, t[v])
	}
	return []byte(s + "}"), nil
}

// Shadow mirrors a share of the requests answered by the primary version
// to another version, whose answers are compared and discarded.
type Shadow struct {
	Version int `yaml:"version" json:"version"`
	// Percent of requests mirrored (default 100).
	Percent float64 `yaml:"percent" json:"percent"`
}

// Warmup runs a version a few times after it loads and before it becomes
// AVAILABLE, so that the first real request does not pay for lazy setup.
type Warmup struct {
	// Runs is the number of warm-up runs (default 1 when the section is set).
	Runs int `yaml:"runs" json:"runs"`
	// Sample is an image or a JSON tensors file ({"inputs": {...}}),
	// relative to the model directory; without it the inputs are zeros of
	// the declared shapes with variable dimensions set to 1.
	Sample string `yaml:"sample" json:"sample,omitempty"`
}

func (c *Config) validateLifecycle() error {
	if s := c.Shadow; s != nil {
		if s.Version <= 0 {
			return fmt.Errorf("shadow.version: must be a positive version number, got %d", s.Version)
		}
		if s.Percent == 0 {
			s.Percent = 100
		}
		if s.Percent < 0 || s.Percent > 100 {
			return fmt.Errorf("shadow.percent: must be within 0 and 100, got %v", s.Percent)
		}
	}
	if w := c.Warmup; w != nil {
		if w.Runs < 0 {
			return fmt.Errorf("warmup.runs: must not be negative, got %d", w.Runs)
		}
		if w.Runs == 0 {
			w.Runs = 1
		}
		if w.Sample != "" && !filepath.IsLocal(w.Sample) {
			return fmt.Errorf("warmup.sample: %q must be a relative path inside the model directory", w.Sample)
		}
	}
	return nil
}
