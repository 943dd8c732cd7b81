package server_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
)

func multipartBody(t *testing.T, parts map[string]string) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for field, v := range parts {
		w, _ := mw.CreateFormField(field)
		w.Write([]byte(v))
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

func TestBadInput(t *testing.T) {
	const limit = 64 << 10
	s := start(t, testutil.ExamplesCopy(t), server.WithMaxBodyBytes(limit), server.WithMaxImagePixels(1<<20))
	png := sample(t, "7_0.png")
	field, fieldType := multipartBody(t, map[string]string{"note": "not a file"})
	empty, emptyType := multipartBody(t, nil)
	big := bytes.Repeat([]byte{0}, limit+1)
	okJSON := `{"inputs": {"input": [[[[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0]]]]}}`
	v1 := s.url + "/models/digits/v1"
	tests := []struct {
		name, method, url, ctype string
		body                     []byte
		code                     int
		msg                      string
	}{
		{"unknown model", "POST", s.url + "/models/cats/v1", "image/png", png, 404, `model "cats"`},
		{"unknown version", "POST", s.url + "/models/digits/v9", "image/png", png, 404, "no version 9"},
		{"unknown label", "GET", s.url + "/models/digits/staging", "", nil, 404, `no version or label "staging"`},
		{"version zero", "GET", s.url + "/models/digits/v0", "", nil, 404, `"v0"`},
		{"body over limit", "POST", v1, "image/png", big, 413, "larger than the limit of 65536 bytes"},
		{"json over limit", "POST", v1, "application/json", append([]byte(`{"inputs": {"input": [`), big...), 413, "limit"},
		{"bomb", "POST", v1, "image/png", testutil.PNGBomb(50000, 50000), 413, "50000x50000, over the limit"},
		{"truncated png", "POST", v1, "image/png", png[:len(png)-40], 400, "corrupt or truncated png"},
		{"text as png", "POST", v1, "image/png", []byte("definitely not a picture"), 400, "not a PNG, JPEG or WebP"},
		{"empty image body", "POST", v1, "image/png", nil, 400, "empty request body"},
		{"unsupported type", "POST", v1, "text/plain", []byte("7"), 415, `unsupported Content-Type "text/plain"`},
		{"missing type", "POST", v1, "", png, 415, "missing Content-Type"},
		{"malformed type", "POST", v1, "image/", png, 415, "bad Content-Type"},
		{"multipart field", "POST", v1, fieldType, field, 400, `multipart field "note" is not a file`},
		{"multipart empty", "POST", v1, emptyType, empty, 400, "no image files"},
		{"multipart no boundary", "POST", v1, "multipart/form-data", png, 400, "no boundary"},
		{"json wrong input", "POST", v1, "application/json", []byte(`{"inputs": {"pixels": [1]}}`), 400, `unknown input "pixels" (model inputs: [input])`},
		{"json several wrong inputs", "POST", v1, "application/json", []byte(`{"inputs": {"zz": [1], "pix": [1], "qq": [1], "mm": [1], "xx": [1]}}`), 400, `unknown input "mm" (model inputs: [input])`},
		{"json wrong shape", "POST", v1, "application/json", []byte(`{"inputs": {"input": [[1, 2, 3]]}}`), 400, `input "input" has shape [1 3], model expects [-1 1 8 8]`},
		{"json wrong dtype", "POST", v1, "application/json", []byte(`{"inputs": {"input": [["a"]]}}`), 400, `"a" is not a number`},
		{"json ragged", "POST", v1, "application/json", []byte(`{"inputs": {"input": [[1, 2], [3]]}}`), 400, "ragged array"},
		{"json NaN", "POST", v1, "application/json", []byte(strings.Replace(okJSON, "0", `"NaN"`, 1)), 400, "is NaN; NaN and infinities are not allowed"},
		{"json Infinity", "POST", v1, "application/json", []byte(strings.Replace(okJSON, "0", `"-Infinity"`, 1)), 400, "-Inf"},
		{"json bare NaN", "POST", v1, "application/json", []byte(strings.Replace(okJSON, "0", `NaN`, 1)), 400, "not valid JSON"},
		{"not json", "POST", v1, "application/json", []byte("inputs=1"), 400, "not valid JSON"},
		{"json no inputs", "POST", v1, "application/json", []byte(`{"inputs": {}}`), 400, `no "inputs"`},
		{"json unknown field", "POST", v1, "application/json", []byte(`{"input": {}}`), 400, `unknown field "input"`},
		{"json wrong type", "POST", v1, "application/json", []byte(`{"inputs": [1]}`), 400, "wrong type"},
		{"json trailing data", "POST", v1, "application/json", []byte(okJSON + ` {}`), 400, "data after the JSON object"},
		{"json empty", "POST", v1, "application/json", nil, 400, "empty request body"},
		{"unknown route", "GET", s.url + "/v3/what", "", nil, 404, "no route for GET /v3/what"},
		{"post on listing", "POST", s.url + "/models", "", nil, 405, "method POST is not allowed on /models"},
		{"delete version", "DELETE", v1, "", nil, 405, "allowed: GET, HEAD, POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.url, tt.ctype, tt.body)
			var e struct{ Error string }
			r.json(t, &e)
			if r.code != tt.code || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("%d %q, want %d with %q", r.code, e.Error, tt.code, tt.msg)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	checkServesAfterBadInput(t, s.url, big, okJSON, png)
}

// checkServesAfterBadInput sends digits v1 at base a body twice big that
// streams past the limit without announcing its length, then checks that
// the server still answers okJSON and png and is ready.
func checkServesAfterBadInput(t *testing.T, base string, big []byte, okJSON string, png []byte) {
	t.Helper()
	v1 := base + "/models/digits/v1"
	// A body that streams past the limit without announcing its length.
	req, _ := http.NewRequest(http.MethodPost, v1, io.MultiReader(bytes.NewReader(big), bytes.NewReader(big)))
	req.Header.Set("Content-Type", "image/png")
	req.ContentLength = -1
	if r := send(t, req); r.code != 413 {
		t.Errorf("chunked body over the limit: %d %s", r.code, r.body)
	}
	// The server keeps serving after all of that.
	if r := do(t, http.MethodPost, v1, "application/json", []byte(okJSON)); r.code != 200 {
		t.Errorf("good JSON after bad input: %d %s", r.code, r.body)
	}
	var ans struct{ Predictions []struct{ Label string } }
	do(t, http.MethodPost, v1, "image/png", png).json(t, &ans)
	if len(ans.Predictions) == 0 || ans.Predictions[0].Label != "7" {
		t.Errorf("image after bad input: %+v", ans)
	}
	if r := get(t, base+"/readyz"); r.code != 200 {
		t.Errorf("/readyz after bad input: %d", r.code)
	}
}
