package server

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"strconv"
	"testing"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/tensor"
)

// The request decoders of every protocol take hostile bytes: none may
// panic, and every refusal is an error the one error mapper turns into a
// 4xx. Each runs for a bounded time in scripts/test.sh (scripts/fuzz.sh).

// FuzzV2Request: the Open Inference Protocol's REST body, JSON and binary.
func FuzzV2Request(f *testing.F) {
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`), "")
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[2],"datatype":"BYTES","data":["a","b"]}]}`), "")
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}`+"\x00\x00\x80\x3f"), "88")
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[250045,1,8,8],"datatype":"FP32","data":[0]}]}`), "")
	f.Fuzz(func(t *testing.T, body []byte, headerLen string) {
		head, bin, err := v2.SplitBody(body, headerLen)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		req, err := decodeV2Request(head)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		var data *v2.BinaryData
		if headerLen != "" {
			data = v2.NewBinaryData(bin)
		}
		if _, err := v2RESTInputs(req.Inputs, data); err != nil {
			checkRefusal(t, err)
		}
	})
}

// FuzzTFServingJSON: TF Serving's JSON values, as numbers or as BYTES
// ({"b64": ...} objects and strings).
func FuzzTFServingJSON(f *testing.F) {
	f.Add([]byte(`[[1, 2], [3, 4]]`), uint8(tensor.Float32), false)
	f.Add([]byte(`[{"b64": "aGVsbG8="}, "x"]`), uint8(tensor.Float32), true)
	f.Add([]byte(`[[[[1e309]]]]`), uint8(tensor.Int64), false)
	f.Fuzz(func(t *testing.T, raw []byte, dt uint8, asBytes bool) {
		if dt == 0 || dt > uint8(tensor.String) || !json.Valid(raw) {
			return
		}
		if _, err := tfDecode(raw, tensor.DType(dt), asBytes); err != nil {
			checkRefusal(t, err)
		}
	})
}

// FuzzMultipart: a multipart body of image files, read part by part.
func FuzzMultipart(f *testing.F) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, _ := w.CreateFormFile("images", "a.png")
	part.Write([]byte("\x89PNG\r\n\x1a\n"))
	w.Close()
	f.Add(buf.Bytes(), w.Boundary())
	f.Add([]byte("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n"), "b")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if boundary == "" || len(boundary) > 70 || strconv.Quote(boundary) != `"`+boundary+`"` {
			return
		}
		if _, _, err := readFiles(multipart.NewReader(bytes.NewReader(body), boundary)); err != nil {
			checkRefusal(t, err)
		}
	})
}

// checkRefusal fails when a decoder's error would not be a client error.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if code := statusOf(err); code < 400 || code >= 500 {
		t.Fatalf("refusal maps to %d, not a 4xx: %v", code, err)
	}
}
