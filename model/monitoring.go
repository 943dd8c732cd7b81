package model

import (
	"fmt"
)

// Monitoring configures payload capture for a model (config.yaml's
// monitoring section). Without it the server's default sampling rate
// applies (serve --capture-sample).
type Monitoring struct {
	// SampleRate is the share of requests captured, 0 to 1. Nil keeps the
	// server's default; 0 turns capture off for this model.
	SampleRate *float64 `yaml:"sample_rate" json:"sample_rate,omitempty"`
	// Headers lists the request headers (gRPC metadata keys) kept with a
	// captured request; all others are left out.
	Headers []string `yaml:"headers" json:"headers,omitempty"`
	// Redact names inputs whose values are never stored (their dtype and
	// shape are).
	Redact []string `yaml:"redact" json:"redact,omitempty"`
}

func (m *Monitoring) validate(c *Config) error {
	if r := m.SampleRate; r != nil && (*r < 0 || *r > 1 || *r != *r) {
		return fmt.Errorf("sample_rate: must be between 0 and 1, got %v", *r)
	}
	for i, h := range m.Headers {
		if h == "" || !validHeaderName(h) {
			return fmt.Errorf("headers[%d]: %q is not a header name", i, h)
		}
	}
	for i, name := range m.Redact {
		if name == "" {
			return fmt.Errorf("redact[%d]: empty input name", i)
		}
		if len(c.Inputs) > 0 {
			if _, ok := c.Input(name); !ok {
				return fmt.Errorf("redact[%d]: %q is not a declared input", i, name)
			}
		}
	}
	return nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 field-name).
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}
