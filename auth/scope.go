package auth

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Scope is what a route needs of its caller.
type Scope string

// The scopes. Open routes (health, readiness) need none.
const (
	// Open routes need no credential.
	Open Scope = ""
	// Predict runs models. A principal's "predict:PATTERN" allows only
	// the models whose name matches PATTERN (path.Match: "digits*").
	Predict Scope = "predict"
	// Read lists models and reads their metadata and status.
	Read Scope = "read"
	// Manage moves labels, splits traffic, and loads and unloads models.
	Manage Scope = "manage"
	// Metrics reads the Prometheus metrics.
	Metrics Scope = "metrics"
)

// Principal is an authenticated caller: a name for the logs and the
// scopes it was granted.
type Principal struct {
	// Name is the token's name in the token file, or the JWT's subject.
	Name string
	// Scopes are as granted: "read", "predict", "predict:digits*".
	Scopes []string
}

// Allows reports whether p holds scope; for Predict, on model (checked
// against the patterns of "predict:PATTERN" scopes).
func (p *Principal) Allows(scope Scope, model string) bool {
	if scope == Open {
		return true
	}
	for _, s := range p.Scopes {
		if Scope(s) == scope {
			return true
		}
		if pattern, ok := strings.CutPrefix(s, string(Predict)+":"); ok && scope == Predict {
			if m, err := path.Match(pattern, model); err == nil && m {
				return true
			}
		}
	}
	return false
}

// CheckScope says why s is not a scope a principal can hold.
func CheckScope(s string) error {
	if slices.Contains([]Scope{Predict, Read, Manage, Metrics}, Scope(s)) {
		return nil
	}
	pattern, ok := strings.CutPrefix(s, string(Predict)+":")
	if !ok {
		return fmt.Errorf("unknown scope %q (want predict, predict:PATTERN, read, manage or metrics)", s)
	}
	if _, err := path.Match(pattern, ""); err != nil || pattern == "" {
		return fmt.Errorf("scope %q: bad model pattern %q", s, pattern)
	}
	return nil
}
