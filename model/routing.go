package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// RoutingFileName is the file beside config.yaml that holds the changes
// made through the API to a model's labels and traffic split, so that
// every replica reading the repository, and every restart, sees them.
const RoutingFileName = "routing.yaml"

// Routing is the content of routing.yaml. inferd writes it; config.yaml
// stays as its author wrote it, and Routing applies on top of it.
type Routing struct {
	// Generation counts the writes: each write is based on the one before.
	Generation int64 `yaml:"generation"`
	// Labels points labels at versions; 0 deletes a label config.yaml sets.
	Labels map[string]int `yaml:"labels,omitempty"`
	// Traffic, when set, replaces config.yaml's split of the unversioned
	// route (versions as "3" or "v3" to weights).
	Traffic map[string]int `yaml:"traffic,omitempty"`
	// NoTraffic removes config.yaml's split.
	NoTraffic bool `yaml:"no_traffic,omitempty"`
	// UpdatedBy and UpdatedAt say who made the last change, and when.
	UpdatedBy string    `yaml:"updated_by,omitempty"`
	UpdatedAt time.Time `yaml:"updated_at,omitempty"`
}

// ParseRouting reads routing.yaml strictly: unknown keys, bad labels,
// versions and weights are errors.
func ParseRouting(data []byte) (*Routing, error) {
	var r Routing
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", RoutingFileName, err)
	}
	for _, label := range slices.Sorted(maps.Keys(r.Labels)) { // the same error every time
		if !ValidName(label) || isVersionLike(label) {
			return nil, fmt.Errorf("%s: labels: %q is not a valid label", RoutingFileName, label)
		}
		if v := r.Labels[label]; v < 0 {
			return nil, fmt.Errorf("%s: labels.%s: version %d is negative", RoutingFileName, label, v)
		}
	}
	if r.Traffic != nil {
		if r.NoTraffic {
			return nil, fmt.Errorf("%s: traffic and no_traffic are both set", RoutingFileName)
		}
		if _, err := ParseTraffic(r.Traffic); err != nil {
			return nil, fmt.Errorf("%s: traffic: %w", RoutingFileName, err)
		}
	}
	return &r, nil
}

// TrafficSplit returns the split routing.yaml sets: nil when it leaves
// config.yaml's, an empty Traffic when it removes it.
func (r *Routing) TrafficSplit() Traffic {
	switch {
	case r.NoTraffic:
		return Traffic{}
	case r.Traffic == nil:
		return nil
	}
	t, _ := ParseTraffic(r.Traffic) // checked by ParseRouting
	return t
}

// SetTrafficSplit records t: nil leaves config.yaml's split, an empty t
// removes it.
func (r *Routing) SetTrafficSplit(t Traffic) {
	r.Traffic, r.NoTraffic = nil, t != nil && len(t) == 0
	if len(t) > 0 {
		r.Traffic = map[string]int{}
		for v, w := range t {
			r.Traffic[strconv.Itoa(v)] = w
		}
	}
}

// Marshal renders routing.yaml (map keys sorted).
func (r *Routing) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("# Written by inferd: changes made through its API to labels and traffic.\n# They apply on top of config.yaml. Edit with care: writes compare and swap.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(r) // maps of strings and ints always encode
	_ = enc.Close()
	return b.Bytes()
}
