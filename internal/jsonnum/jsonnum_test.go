package jsonnum_test

import (
	"encoding/json"
	"testing"

	"github.com/inferd/inferd/internal/jsonnum"
)

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0", true}, {"-0", true}, {"12", true}, {"-12.5", true}, {"1e5", true}, {"1E+5", true}, {"1.25e-3", true},
		{"", false}, {"-", false}, {"01", false}, {"1.", false}, {".5", false}, {"+1", false}, {"1e", false},
		{"1e+", false}, {"--1", false}, {"0x1", false}, {"1_0", false}, {"NaN", false}, {"1 ", false}, {"1.5.3", false},
	}
	for _, tt := range tests {
		if got := jsonnum.Valid([]byte(tt.in)); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if json.Valid([]byte(tt.in)) != tt.want && tt.in != "1 " {
			t.Errorf("%q: encoding/json disagrees", tt.in)
		}
	}
}

// FuzzValid: Valid agrees with encoding/json on every input that is not
// another kind of JSON value.
func FuzzValid(f *testing.F) {
	f.Add([]byte("-12.5e+3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9') {
			trimmed := len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r')
			if !trimmed && jsonnum.Valid(b) != json.Valid(b) {
				t.Fatalf("%q: Valid %v, encoding/json %v", b, jsonnum.Valid(b), json.Valid(b))
			}
		}
	})
}

func TestSkipSpace(t *testing.T) {
	tests := []struct {
		in      string
		i, want int
	}{
		{"", 0, 0}, {" \t\n\r", 0, 4}, {"  x ", 0, 2}, {"x  ", 1, 3}, {"x\f", 1, 1}, {"[ 1", 1, 2},
	}
	for _, tt := range tests {
		if got := jsonnum.SkipSpace([]byte(tt.in), tt.i); got != tt.want {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", tt.in, tt.i, got, tt.want)
		}
	}
}
