package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
)

// tensorBodies are seed tensor request bodies, valid and not, on which the
// direct path must answer as decodeJSON does.
var tensorBodies = []string{
	`{"inputs": {"input": [[89, 79, 4, 20, 90, 64, 34, 84, 75, 24, 96, 68]]}}`,
	`{"inputs":{"x":[[1,2]]}}`, " \n{ \"inputs\" : { \"x\" : [ 1 , 2 ] , \"y\" : 3 } } \n\t",
	`{"inputs": {"img": [{"b64": "iVBORw0KGgo="}], "s": ["a\"b\\c\/\b\f\n\r\t\u00e9\uD83D"]}}`,
	`{"inputs": {"x": [true, false, null, {}, {"a": [1, {"b": -0.5e+3}]}, [], ""]}}`,
	`{"inputs": {}}`, `{}`, `{"inputs": null}`, `{"inputs": {"x": null}}`, `{"Inputs": {"x": [1]}}`,
	`{"inputs": {"x": [1]}, "extra": 1}`, `{"inputs": {"x": [1]}, "inputs": {"y": [2]}}`,
	`{"inputs": {"x": [1], "x": [2]}}`, `{"inputs": {"x\u0041": [1]}}`, `{"inputs": {"é": [1]}}`,
	`{"inputs": {"x": [1]}} trailing`, `{"inputs": {"x": [1]}} {}`, `{"inputs": {"x": [1]}}}`,
	`{"inputs": {"x": [1,]}}`, `{"inputs": {"x": [01]}}`, `{"inputs": {"x": [1.]}}`, `{"inputs": {"x": [-]}}`,
	`{"inputs": {"x": [1e5, 2E-3, -0]}}`, `{"inputs": {"x": [1.5.3]}}`, `{"inputs": {"x": [tru]}}`,
	`{"inputs": {"x": "a` + "\x01" + `b"}}`, `{"inputs": {"x": "\x"}}`, `{"inputs": {"x": "\u12"}}`,
	`{"inputs": {"x": "` + "\xff\xfe" + `"}}`, `{"inputs": {"x": [1]`, `{"inputs": {"x": [1]}`, `{"inputs"`,
	``, `   `, `[]`, `null`, `{"inputs": []}`, `{"inputs": {"x": [1] "y": [2]}}`, `{"inputs": {x: [1]}}`,
	`{"inputs": {"x": ` + strings.Repeat("[", 1100) + strings.Repeat("]", 1100) + `}}`,
	`{"inputs": {"x": ` + strings.Repeat("[", 20) + `1` + strings.Repeat("]", 20) + `}}`,
	`{"inputs": {"x": [truefalse]}}`, `{"inputs": {"x": [1true]}}`, `{"inputs": {"x": nul}}`,
}

// oldTensorRequest is how the seed route decoded its body before the
// direct path.
func oldTensorRequest(body io.Reader) (map[string]json.RawMessage, error) {
	var req tensorRequest
	if err := decodeJSON(body, &req, false, ""); err != nil {
		return nil, err
	}
	return req.Inputs, nil
}

// checkSameDecode fails t unless both paths give the same inputs, or the
// same error and status, for body.
func checkSameDecode(t *testing.T, name string, oldBody, newBody io.Reader, size int64) {
	t.Helper()
	want, wantErr := oldTensorRequest(oldBody)
	got, err := decodeTensorRequest(newBody, size)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("%s: error %v, want %v", name, err, wantErr)
	case err != nil && (err.Error() != wantErr.Error() || statusOf(err) != statusOf(wantErr)):
		t.Fatalf("%s: error %d %v, want %d %v", name, statusOf(err), err, statusOf(wantErr), wantErr)
	case !reflect.DeepEqual(got, want):
		t.Fatalf("%s: inputs %q, want %q", name, got, want)
	}
}

func TestDecodeTensorRequestAsBefore(t *testing.T) {
	for _, body := range tensorBodies {
		for _, size := range []int64{int64(len(body)), -1} {
			checkSameDecode(t, body, strings.NewReader(body), strings.NewReader(body), size)
		}
	}
}

// failingBody gives data, in chunks of chunk bytes, then fails with err.
type failingBody struct {
	data  []byte
	chunk int
	err   error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p[:min(len(p), b.chunk)], b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestDecodeTensorRequestReadErrors: a body cut by an error (the size
// limit, the read timeout) answers as the streaming decoder did, which
// stops early when the bytes it has settle the answer.
func TestDecodeTensorRequestReadErrors(t *testing.T) {
	long := `{"inputs": {"x": [` + strings.Repeat("1, ", 2000) + `1]}}`
	errs := []error{&http.MaxBytesError{Limit: 100}, os.ErrDeadlineExceeded, io.ErrUnexpectedEOF}
	for _, body := range append([]string{long, `{"inputs": x` + long, long + `  `}, tensorBodies...) {
		for _, cut := range []int{0, min(1, len(body)), min(10, len(body)), len(body) / 2, len(body)} {
			for _, e := range errs {
				for _, chunk := range []int{7, 4096} {
					mk := func() io.Reader { return &failingBody{data: []byte(body[:cut]), chunk: chunk, err: e} }
					checkSameDecode(t, body[:min(cut, 40)], mk(), mk(), -1)
				}
			}
		}
	}
}

func TestFastInputsTakesPlainBodies(t *testing.T) {
	tests := []struct {
		body string
		want map[string]json.RawMessage
	}{
		{`{"inputs": {"input": [[1, 2]]}}`, map[string]json.RawMessage{"input": json.RawMessage(`[[1, 2]]`)}},
		{" {\"inputs\":{\"a\":1,\"b\":{\"b64\":\"AA==\"}}}\n", map[string]json.RawMessage{"a": json.RawMessage(`1`), "b": json.RawMessage(`{"b64":"AA=="}`)}},
		{`{"inputs": {}}`, map[string]json.RawMessage{}},
	}
	for _, tt := range tests {
		got, ok := fastInputs([]byte(tt.body))
		if !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("fastInputs(%s) = %q, %v; want %q", tt.body, got, ok, tt.want)
		}
	}
}

// FuzzDecodeTensorRequest: on any body the direct path answers as
// decodeJSON does.
func FuzzDecodeTensorRequest(f *testing.F) {
	for _, b := range tensorBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSameDecode(t, string(body), bytes.NewReader(body), bytes.NewReader(body), int64(len(body)))
	})
}
