package server

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/inferd/inferd/serving/codec"
)

// Append-based encoding of the seed routes' inference answers: the bytes
// json.Marshal writes for them, without reflection. An answer holding
// anything json.Marshal would escape or refuse (a string with quotes,
// control characters, HTML characters or non-ASCII, a non-finite score,
// raw JSON with white space) is left to json.Marshal.

// jsonAppender is an answer that can append its own JSON; ok is false
// when json.Marshal must encode it.
type jsonAppender interface {
	appendJSON(b []byte) (out []byte, ok bool)
}

// encodeAnswer is v's JSON as json.Marshal encodes it.
func encodeAnswer(v any) ([]byte, error) {
	if a, ok := v.(jsonAppender); ok {
		if b, ok := a.appendJSON(make([]byte, 0, 256)); ok {
			return b, nil
		}
	}
	return json.Marshal(v)
}

func (a imageAnswer) appendJSON(b []byte) ([]byte, bool) {
	b, ok := appendModelVersion(b, a.Model, a.Version)
	b = append(b, `,"predictions":`...)
	b, ok2 := appendPredictions(b, a.Predictions)
	return append(b, '}'), ok && ok2
}

func (a tensorAnswer) appendJSON(b []byte) ([]byte, bool) {
	b, ok := appendModelVersion(b, a.Model, a.Version)
	b = append(b, `,"outputs":`...)
	b, ok2 := appendRawMap(b, a.Outputs)
	ok = ok && ok2
	if len(a.Predictions) > 0 {
		b = append(b, `,"predictions":[`...)
		for i, p := range a.Predictions {
			if i > 0 {
				b = append(b, ',')
			}
			b, ok2 = appendPredictions(b, p)
			ok = ok && ok2
		}
		b = append(b, ']')
	}
	return append(b, '}'), ok
}

// appendModelVersion opens an answer object with its model and version.
func appendModelVersion(b []byte, model, version string) ([]byte, bool) {
	b = append(b, `{"model":`...)
	b, ok := appendPlainString(b, model)
	b = append(b, `,"version":`...)
	b, ok2 := appendPlainString(b, version)
	return b, ok && ok2
}

// appendRawMap appends an object of raw JSON values, keys sorted.
func appendRawMap(b []byte, m map[string]json.RawMessage) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	ok := true
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var ok2 bool
		b, ok2 = appendPlainString(b, k)
		b = append(b, ':')
		raw := m[k]
		ok = ok && ok2 && plainRaw(raw)
		b = append(b, raw...)
	}
	return append(b, '}'), ok
}

// plainRaw reports whether json.Marshal writes raw as it is: not empty,
// printable ASCII without white space or HTML characters.
func plainRaw(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	for _, c := range raw {
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendPredictions appends a list of predictions (null when nil).
func appendPredictions(b []byte, ps []codec.Prediction) ([]byte, bool) {
	if ps == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	ok := true
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"label":`...)
		var ok2, ok3 bool
		b, ok2 = appendPlainString(b, p.Label)
		b = strconv.AppendInt(append(b, `,"index":`...), int64(p.Index), 10)
		b, ok3 = appendJSONFloat(append(b, `,"score":`...), p.Score)
		b = append(b, '}')
		ok = ok && ok2 && ok3
	}
	return append(b, ']'), ok
}

// appendPlainString appends s quoted; ok is false when json.Marshal would
// escape any of it.
func appendPlainString(b []byte, s string) ([]byte, bool) {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			ok = false
			break
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), ok
}

// appendJSONFloat appends f as encoding/json writes a float64; ok is false
// for NaN and infinities, which it refuses.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9, as encoding/json
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}
