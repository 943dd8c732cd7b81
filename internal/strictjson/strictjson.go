// Package strictjson decodes exactly one JSON value, strictly: an unknown
// field is an error, and so is anything after the value. It is the one
// strict decoder behind the server's request bodies, the client's request
// files and the evaluation's v2 request datasets.
package strictjson

import (
	"encoding/json"
	"errors"
	"io"
)

// ErrTrailing is returned when something other than white space follows
// the decoded value.
var ErrTrailing = errors.New("data after the JSON value")

// Decode decodes one JSON value from r into v. With useNumber, numbers
// decoded into interface values are json.Number, so large integers keep
// every digit. Decoding errors are returned as encoding/json made them
// (so callers can tell syntax from type errors); data after the value is
// ErrTrailing.
func Decode(r io.Reader, v any, useNumber bool) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return ErrTrailing
	}
	return nil
}
