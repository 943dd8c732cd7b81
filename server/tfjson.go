package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/inferd/inferd/tensor"
)

// TF Serving's JSON values: nested arrays of numbers, booleans, strings,
// and {"b64": "..."} objects for binary strings.

// isB64 reports whether a JSON value is a {"b64": "..."} object.
func isB64(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return false
	}
	_, ok := m["b64"]
	return ok && len(m) == 1
}

// isObject reports whether a JSON value is an object other than b64.
func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{' && !isB64(raw)
}

// hasStringLeaf reports whether the first element of a nested JSON array is
// a string or a b64 object.
func hasStringLeaf(raw json.RawMessage) bool { return firstLeaf(raw, true) }

// hasB64Leaf reports whether the first element of a nested JSON array is
// a b64 object.
func hasB64Leaf(raw json.RawMessage) bool { return firstLeaf(raw, false) }

// firstLeaf reports whether the first element of a nested JSON array is a
// b64 object or, with strs, a string.
func firstLeaf(raw json.RawMessage, strs bool) bool {
	for {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			return false
		}
		switch raw[0] {
		case '"':
			return strs
		case '{':
			return isB64(raw)
		case '[':
			var elems []json.RawMessage
			if json.Unmarshal(raw, &elems) != nil || len(elems) == 0 {
				return false
			}
			raw = elems[0]
		default:
			return false
		}
	}
}

// tfDecode decodes a JSON value into a tensor of type dt, or into BYTES
// (strings or b64 objects) when dt is BYTES or asBytes is set.
func tfDecode(raw json.RawMessage, dt tensor.DType, asBytes bool) (*tensor.Tensor, error) {
	if dt != tensor.String && !asBytes {
		return tensor.FromJSON(raw, dt)
	}
	return tensor.StringsFromJSON(raw, tfString)
}

// tfString decodes a string element: a JSON string or {"b64": "..."}.
func tfString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		s, ok := x["b64"].(string)
		if !ok || len(x) != 1 {
			return "", fmt.Errorf(`an object is not a string; binary values are {"b64": "<base64>"}`)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			if b, err = base64.URLEncoding.DecodeString(s); err != nil {
				return "", fmt.Errorf("b64 value is not base64: %v", err)
			}
		}
		return string(b), nil
	}
	return "", fmt.Errorf("%v is not a string", v)
}

// tfEncode encodes a tensor as nested JSON. BYTES elements become strings,
// or {"b64": ...} when the output's name ends in _bytes (TF Serving's
// convention) or they are not valid UTF-8.
func tfEncode(name string, t *tensor.Tensor) json.RawMessage {
	if t.DType() != tensor.String {
		return tensor.AppendJSON(nil, t)
	}
	b64 := strings.HasSuffix(name, "_bytes")
	data, shape := tensor.Data[string](t), t.Shape()
	var buf []byte
	var nest func(dim, off int)
	elem := func(s string) {
		if b64 || !utf8.ValidString(s) {
			buf = append(buf, `{"b64":"`...)
			buf = base64.StdEncoding.AppendEncode(buf, []byte(s))
			buf = append(buf, `"}`...)
			return
		}
		q, _ := json.Marshal(s)
		buf = append(buf, q...)
	}
	nest = func(dim, off int) {
		if dim == len(shape) {
			elem(data[off])
			return
		}
		stride := tensor.NumElements(shape[dim+1:])
		buf = append(buf, '[')
		for i := range shape[dim] {
			if i > 0 {
				buf = append(buf, ',')
			}
			nest(dim+1, off+i*stride)
		}
		buf = append(buf, ']')
	}
	nest(0, 0)
	return buf
}

// splitRows splits a tensor's nested JSON into its rows (first dimension).
func splitRows(raw json.RawMessage) ([]json.RawMessage, error) {
	var rows []json.RawMessage
	err := json.Unmarshal(raw, &rows)
	return rows, err
}

// joinRows makes one JSON array of row values.
func joinRows(rows []json.RawMessage) json.RawMessage {
	buf := []byte{'['}
	for i, r := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r...)
	}
	return append(buf, ']')
}
