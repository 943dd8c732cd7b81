package tensor

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzFromJSON: any JSON value decodes to a tensor of the asked dtype or
// fails with ErrJSON, never a panic; what decodes encodes back to JSON.
func FuzzFromJSON(f *testing.F) {
	f.Add([]byte(`[[1, 2], [3, 4]]`), uint8(Float32))
	f.Add([]byte(`["NaN", "Infinity", -1e-7]`), uint8(Float64))
	f.Add([]byte(`[[true], [false]]`), uint8(Bool))
	f.Add([]byte(`[["a"], ["\u00e9"]]`), uint8(String))
	f.Add([]byte(`[[1], [2, 3]]`), uint8(Int64))
	f.Fuzz(func(t *testing.T, raw []byte, dt uint8) {
		if dt == 0 || dt > uint8(String) || !json.Valid(raw) {
			return
		}
		x, err := FromJSON(raw, DType(dt))
		if err != nil {
			if !errors.Is(err, ErrJSON) {
				t.Fatalf("error without ErrJSON: %v", err)
			}
			return
		}
		if out := AppendJSON(nil, x); !json.Valid(out) {
			t.Fatalf("%v encodes to invalid JSON %q", x, out)
		}
	})
}
