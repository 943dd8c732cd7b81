package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// v2Input is one JSON input of the digits models with the given data.
func v2Input(shape, datatype, rest string) string {
	return fmt.Sprintf(`{"inputs": [{"name": "input", "shape": %s, "datatype": %q%s}]}`, shape, datatype, rest)
}

func zeros(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]" }

func TestV2BadInput(t *testing.T) {
	const limit = 256 << 10
	s := servertest.Start(t, repoWithFixtures(t), server.WithMaxBodyBytes(limit))
	infer := s.URL + "/v2/models/digits/infer"
	good := v2Input("[1, 1, 8, 8]", "FP32", `, "data": `+zeros(64))
	raw := make([]byte, 256)
	binHead := func(size int) []byte {
		return []byte(v2Input("[1, 1, 8, 8]", "FP32", fmt.Sprintf(`, "parameters": {"binary_data_size": %d}`, size)))
	}
	runV2BadCases(t, []v2BadCase{
		{"shape and data disagree", infer, []byte(v2Input("[1, 1, 8, 8]", "FP32", `, "data": `+zeros(63))), nil, 400, `input "input": shape [1 1 8 8] needs 64 elements, data has 63`},
		{"unknown datatype", infer, []byte(v2Input("[1, 1, 8, 8]", "FP33", `, "data": `+zeros(64))), nil, 400, `input "input": unknown datatype "FP33"`},
		{"lower-case datatype", infer, []byte(v2Input("[1, 1, 8, 8]", "fp32", `, "data": `+zeros(64))), nil, 400, `unknown datatype "fp32"`},
		{"datatype the model does not take", infer, []byte(v2Input("[1, 1, 8, 8]", "INT64", `, "data": `+zeros(64))), nil, 400, `input "input" has datatype INT64, model expects FP32`},
		{"wrong shape for the model", infer, []byte(v2Input("[1, 64]", "FP32", `, "data": `+zeros(64))), nil, 400, `input "input" has shape [1 64], model expects [-1 1 8 8]`},
		{"negative dimension", infer, []byte(v2Input("[-1, 1, 8, 8]", "FP32", `, "data": `+zeros(64))), nil, 400, "dimension -1 is out of range"},
		{"no shape", infer, []byte(`{"inputs": [{"name": "input", "datatype": "FP32", "data": [0]}]}`), nil, 400, `input "input" has no shape`},
		{"no data", infer, []byte(v2Input("[1, 1, 8, 8]", "FP32", "")), nil, 400, `input "input" has no data and no binary_data_size parameter`},
		{"bad element", infer, []byte(v2Input("[1]", "FP32", `, "data": ["x"]`)), nil, 400, `element [0]: "x" is not a number`},
		{"NaN", infer, []byte(strings.Replace(good, "[0,", `["NaN",`, 1)), nil, 400, "NaN and infinities are not allowed"},
		{"unknown input", infer, []byte(strings.Replace(good, `{"inputs": [`, `{"inputs": [{"name": "pixels", "shape": [1], "datatype": "FP32", "data": [0]}, `, 1)), nil, 400, `unknown input "pixels" (model inputs: [input])`},
		{"input twice", infer, []byte(`{"inputs": [{"name": "input", "shape": [1], "datatype": "FP32", "data": [0]}, {"name": "input", "shape": [1], "datatype": "FP32", "data": [0]}]}`), nil, 400, `input "input" is given twice`},
		{"no inputs", infer, []byte(`{"inputs": []}`), nil, 400, `request has no "inputs"`},
		{"unknown field", infer, []byte(`{"inputz": []}`), nil, 400, `unknown field "inputz"`},
		{"not JSON", infer, []byte(`inputs=1`), nil, 400, "not valid JSON"},
		{"empty body", infer, nil, nil, 400, "empty request body"},
		{"data after the JSON", infer, []byte(good + "xyz"), nil, 400, "data after the object; with binary data, set the Inference-Header-Content-Length header"},
		{"non-UTF-8 in a JSON string", s.URL + "/v2/models/echo/infer", []byte("{\"id\": \"caf\xe9\", \"inputs\": []}"), nil, 400, "request JSON is not valid UTF-8 (at byte 11)"},
		{"unknown output", infer, []byte(strings.TrimSuffix(good, "}") + `, "outputs": [{"name": "probs"}]}`), nil, 400, `unknown output "probs" (model outputs: [logits])`},
		{"output twice", infer, []byte(strings.TrimSuffix(good, "}") + `, "outputs": [{"name": "logits"}, {"name": "logits"}]}`), nil, 400, `output "logits" is requested twice`},
		{"classification 0", infer, []byte(strings.TrimSuffix(good, "}") + `, "outputs": [{"name": "logits", "parameters": {"classification": 0}}]}`), nil, 400, `parameter "classification" must be at least 1`},
		{"classification not a number", infer, []byte(strings.TrimSuffix(good, "}") + `, "outputs": [{"name": "logits", "parameters": {"classification": "3"}}]}`), nil, 400, `parameter "classification" must be a non-negative integer, got string "3"`},
		{"binary_data not a boolean", infer, []byte(strings.TrimSuffix(good, "}") + `, "outputs": [{"name": "logits", "parameters": {"binary_data": 1}}]}`), nil, 400, `parameter "binary_data" must be a boolean`},
		{"binary_data_output not a boolean", infer, []byte(strings.Replace(good, `{"inputs"`, `{"parameters": {"binary_data_output": "yes"}, "inputs"`, 1)), nil, 400, `parameter "binary_data_output" must be a boolean`},
		{"data and binary_data_size", infer, []byte(v2Input("[1, 1, 8, 8]", "FP32", `, "data": `+zeros(64)+`, "parameters": {"binary_data_size": 256}`)), nil, 400, "has both data and binary_data_size"},
		{"binary_data_size without the header", infer, binHead(256), nil, 400, "body has no binary data (no Inference-Header-Content-Length header)"},
		{"negative binary_data_size", infer, binHead(-4), []header{{v2.HeaderContentLength, strconv.Itoa(len(binHead(-4)))}}, 400, `parameter "binary_data_size" must be a non-negative integer, got -4`},
		{"binary data overruns the body", infer, append(binHead(256), raw[:100]...), []header{{v2.HeaderContentLength, strconv.Itoa(len(binHead(256)))}}, 400, "binary_data_size 256 but only 100 bytes of binary data are left"},
		{"binary size is not the tensor's", infer, append(binHead(252), raw[:252]...), []header{{v2.HeaderContentLength, strconv.Itoa(len(binHead(252)))}}, 400, "252 bytes of data for FP32[1 1 8 8], which needs 256"},
		{"binary data left over", infer, append(binHead(256), append(raw, 1, 2, 3)...), []header{{v2.HeaderContentLength, strconv.Itoa(len(binHead(256)))}}, 400, "3 bytes of binary data are left over"},
		{"header length beyond the body", infer, []byte(good), []header{{v2.HeaderContentLength, "100000"}}, 400, "Inference-Header-Content-Length is 100000 but the body has only"},
		{"header length not a number", infer, []byte(good), []header{{v2.HeaderContentLength, "ten"}}, 400, `Inference-Header-Content-Length "ten" is not a non-negative integer`},
		{"header length cuts the JSON", infer, []byte(good), []header{{v2.HeaderContentLength, "20"}}, 400, "not valid JSON"},
		{"header length short of the JSON", infer, []byte(good), []header{{v2.HeaderContentLength, strconv.Itoa(len(good) - 1)}}, 400, "not valid JSON"},
		{"BYTES length prefix overruns", s.URL + "/v2/models/digits/infer", append([]byte(`{"inputs": [{"name": "input", "shape": [1], "datatype": "BYTES", "parameters": {"binary_data_size": 8}}]}`), 200, 0, 0, 0, 'a', 'b', 'c', 'd'), []header{{v2.HeaderContentLength, "105"}}, 400, "BYTES element 0: length 200 at byte 0 overruns the 8 bytes of data"},
		{"not an image", infer, []byte(`{"inputs": [{"name": "input", "shape": [1], "datatype": "BYTES", "data": ["hello"]}]}`), nil, 400, `input "input" image 0: bad image: not a PNG, JPEG or WebP image`},
		{"images not [N]", infer, []byte(`{"inputs": [{"name": "input", "shape": [1, 1], "datatype": "BYTES", "data": ["hello"]}]}`), nil, 400, "encoded images go in a BYTES tensor of shape [N]"},
		{"BYTES for a model without images", s.URL + "/v2/models/regress/infer", []byte(`{"inputs": [{"name": "x", "shape": [1], "datatype": "BYTES", "data": ["hello"]}]}`), nil, 400, `input "x" has datatype BYTES, model expects FP32`},
		{"classify an output that is not scores", s.URL + "/v2/models/echo/infer", []byte(`{"inputs": [{"name": "b", "shape": [1, 2], "datatype": "BOOL", "data": [true, false]}], "outputs": [{"name": "s_bytes", "parameters": {"classification": 2}}]}`), nil, 400, `output "s_bytes" (BYTES[-1 2]) cannot be classified`},
		{"unknown model", s.URL + "/v2/models/cats/infer", []byte(good), nil, 404, `model "cats"`},
		{"unknown version", s.URL + "/v2/models/digits/versions/7/infer", []byte(good), nil, 404, "no version 7"},
		{"body over the limit", infer, bytes.Repeat([]byte(" "), limit+1), nil, 413, "larger than the limit of 262144 bytes"},
	})
	// Still serving.
	if r := do(t, http.MethodPost, infer, "application/json", []byte(good)); r.code != 200 {
		t.Errorf("good request after bad ones: %d %s", r.code, r.body)
	}
}

// header is one HTTP request header.
type header struct{ key, value string }

// v2BadCase is a bad v2 JSON inference request and the status and error
// message it must answer.
type v2BadCase struct {
	name   string
	url    string
	body   []byte
	header []header
	code   int
	msg    string
}

// runV2BadCases posts each case as application/json, with its headers, in
// a subtest named after it.
func runV2BadCases(t *testing.T, tests []v2BadCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, tt.url, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for _, h := range tt.header {
				req.Header.Set(h.key, h.value)
			}
			r := send(t, req)
			var e struct{ Error string }
			r.json(t, &e)
			if r.code != tt.code || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("%d %q\nwant %d with %q", r.code, e.Error, tt.code, tt.msg)
			}
		})
	}
}

func TestGRPCBadInput(t *testing.T) {
	s := servertest.Start(t, repoWithFixtures(t), server.WithGRPCMaxMessageBytes(1<<20))
	g := grpcClient(t, s.GRPCAddr)
	in := func(dt string, shape []int64, c *v2.InferTensorContents) []*v2.ModelInferRequest_InferInputTensor {
		return []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: dt, Shape: shape, Contents: c}}
	}
	fp32 := func(n int) *v2.InferTensorContents { return &v2.InferTensorContents{Fp32Contents: make([]float32, n)} }
	shape := []int64{1, 1, 8, 8}
	cls := func(p *v2.InferParameter) []*v2.ModelInferRequest_InferRequestedOutputTensor {
		return []*v2.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits", Parameters: map[string]*v2.InferParameter{"classification": p}}}
	}
	tests := []struct {
		name string
		req  *v2.ModelInferRequest
		code codes.Code
		msg  string
	}{
		{"count mismatch", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, fp32(63))}, codes.InvalidArgument, `input "input": shape [1 1 8 8] needs 64 elements, fp32_contents has 63`},
		{"wrong field", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, &v2.InferTensorContents{IntContents: make([]int32, 64)})}, codes.InvalidArgument, "FP32 data belongs in fp32_contents, but the contents set int_contents"},
		{"unknown datatype", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FLOAT", shape, fp32(64))}, codes.InvalidArgument, `unknown datatype "FLOAT"`},
		{"no contents", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, nil)}, codes.InvalidArgument, "no contents; set contents or raw_input_contents"},
		{"no inputs", &v2.ModelInferRequest{ModelName: "digits"}, codes.InvalidArgument, "request has no inputs"},
		{"raw count", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, nil), RawInputContents: [][]byte{{}, {}}}, codes.InvalidArgument, "raw_input_contents has 2 entries for 1 inputs"},
		{"raw and contents", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, fp32(64)), RawInputContents: [][]byte{make([]byte, 256)}}, codes.InvalidArgument, "contents are set while the request uses raw_input_contents"},
		{"raw size", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, nil), RawInputContents: [][]byte{make([]byte, 255)}}, codes.InvalidArgument, "255 bytes of data for FP32[1 1 8 8], which needs 256"},
		{"FP16 typed", &v2.ModelInferRequest{ModelName: "echo", Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "f16", Datatype: "FP16", Shape: []int64{1, 2}, Contents: &v2.InferTensorContents{UintContents: []uint32{1, 2}}}}}, codes.InvalidArgument, "FP16 data has no typed contents field; send it in raw_input_contents"},
		{"INT8 out of range", &v2.ModelInferRequest{ModelName: "echo", Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "i8", Datatype: "INT8", Shape: []int64{1, 2}, Contents: &v2.InferTensorContents{IntContents: []int32{1, 200}}}}}, codes.InvalidArgument, "element 1 is 200, out of the range of INT8"},
		{"model input missing", &v2.ModelInferRequest{ModelName: "echo", Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "i8", Datatype: "INT8", Shape: []int64{1, 2}, Contents: &v2.InferTensorContents{IntContents: []int32{1, 2}}}}}, codes.InvalidArgument, `missing input "b"`},
		{"classification type", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, fp32(64)), Outputs: cls(&v2.InferParameter{ParameterChoice: &v2.InferParameter_StringParam{StringParam: "3"}})}, codes.InvalidArgument, `parameter "classification" must be an int64_param`},
		{"classification 0", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, fp32(64)), Outputs: cls(&v2.InferParameter{ParameterChoice: &v2.InferParameter_Int64Param{Int64Param: 0}})}, codes.InvalidArgument, "must be at least 1"},
		{"no model", &v2.ModelInferRequest{Inputs: in("FP32", shape, fp32(64))}, codes.InvalidArgument, "no model name given"},
		{"unknown model", &v2.ModelInferRequest{ModelName: "cats", Inputs: in("FP32", shape, fp32(64))}, codes.NotFound, `model "cats"`},
		{"unknown version", &v2.ModelInferRequest{ModelName: "digits", ModelVersion: "9", Inputs: in("FP32", shape, fp32(64))}, codes.NotFound, "no version 9"},
		{"not an image", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("BYTES", []int64{1}, &v2.InferTensorContents{BytesContents: [][]byte{[]byte("GIF89a")}})}, codes.InvalidArgument, "not a PNG, JPEG or WebP"},
		{"over the message limit", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", []int64{1 << 12, 1, 8, 8}, fp32(1<<18))}, codes.ResourceExhausted, "larger than max"},
		{"image bomb", &v2.ModelInferRequest{ModelName: "digits", Inputs: in("BYTES", []int64{1}, &v2.InferTensorContents{BytesContents: [][]byte{testutil.PNGBomb(50000, 50000)}})}, codes.ResourceExhausted, "over the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.ModelInfer(context.Background(), tt.req)
			st, _ := status.FromError(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.msg) {
				t.Errorf("%v %q\nwant %v with %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
		})
	}
	ok := &v2.ModelInferRequest{ModelName: "digits", Inputs: in("FP32", shape, fp32(64))}
	if _, err := g.ModelInfer(context.Background(), ok); err != nil {
		t.Errorf("good request after bad ones: %v", err)
	}
}

func TestTFServingBadInput(t *testing.T) {
	s := servertest.Start(t, repoWithFixtures(t))
	pred := s.URL + "/v1/models/digits:predict"
	row := `[[` + strings.Repeat(zeros(8)+",", 7) + zeros(8) + `]]`
	tests := []struct {
		name, url, body string
		code            int
		msg             string
	}{
		{"instances and inputs", pred, `{"instances": [1], "inputs": [1]}`, 400, `send either "instances" (row format) or "inputs" (columnar format)`},
		{"neither", pred, `{}`, 400, `send either "instances"`},
		{"instances not a list", pred, `{"instances": {"input": 1}}`, 400, `"instances" must be a list of rows`},
		{"empty instances", pred, `{"instances": []}`, 400, `"instances" is empty`},
		{"ragged instances", pred, `{"instances": [` + row + `, [[1]]]}`, 400, "ragged array"},
		{"wrong shape", pred, `{"instances": [[1, 2]]}`, 400, `input "input" has shape [1 2], model expects [-1 1 8 8]`},
		{"signature", pred, `{"signature_name": "classify", "instances": [` + row + `]}`, 400, `signature_name "classify" not found; the model has one signature, "serving_default"`},
		{"unknown field", pred, `{"instancez": []}`, 400, `unknown field "instancez"`},
		{"non-UTF-8", pred, "{\"instances\": [\"\xff\"]}", 400, "request JSON is not valid UTF-8 (at byte 16)"},
		{"bad b64", pred, `{"instances": [{"b64": "!!!"}]}`, 400, "b64 value is not base64"},
		{"b64 not an image", pred, `{"instances": [{"b64": "` + base64.StdEncoding.EncodeToString([]byte("text")) + `"}]}`, 400, "not a PNG, JPEG or WebP"},
		{"unnamed for several inputs", s.URL + "/v1/models/echo:predict", `{"instances": [[true, false]]}`, 400, `model "echo" has 13 inputs`},
		{"instances name different inputs", s.URL + "/v1/models/regress:predict", `{"instances": [{"x": [1, 2, 3]}, {"y": [1, 2, 3]}]}`, 400, "instance 1 has inputs [y], instance 0 has [x]"},
		{"unknown input", s.URL + "/v1/models/regress:predict", `{"inputs": {"z": [[1, 2, 3]]}}`, 400, `unknown input "z" (model inputs: [x])`},
		{"several unknown inputs", s.URL + "/v1/models/regress:predict", `{"inputs": {"z": [[1, 2, 3]], "q": [[1]], "k": [[1]], "w": [[1]], "x": [[1, 2, 3]]}}`, 400, `unknown input "k" (model inputs: [x])`},
		{"classify without postprocess", s.URL + "/v1/models/regress:classify", `{"examples": [{"x": [1, 2, 3]}]}`, 400, `model "regress" cannot :classify: its config.yaml has no postprocess section`},
		{"regress a classifier", s.URL + "/v1/models/digits:regress", `{"examples": [{"input": ` + row + `}]}`, 400, `output "logits" is FP32[-1 10], a regression needs one float per example`},
		{"no examples", s.URL + "/v1/models/digits:classify", `{"examples": []}`, 400, `request has no "examples"`},
		{"unknown verb", s.URL + "/v1/models/digits:explain", `{}`, 404, `unknown verb "explain"`},
		{"no verb", s.URL + "/v1/models/digits", `{}`, 404, "add :predict, :classify or :regress"},
		{"unknown label", s.URL + "/v1/models/digits/labels/staging:predict", `{}`, 404, `model "digits" has no version label "staging"`},
		{"version not a number", s.URL + "/v1/models/digits/versions/production:predict", `{}`, 404, `version "production" is not a positive integer (use /labels/ for labels)`},
		{"unknown model", s.URL + "/v1/models/cats:predict", `{}`, 404, `model "cats"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodPost, tt.url, "application/json", []byte(tt.body))
			var e struct{ Error string }
			r.json(t, &e)
			if r.code != tt.code || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("%d %q\nwant %d with %q", r.code, e.Error, tt.code, tt.msg)
			}
		})
	}
}

// repoWithFixtures is a repository with the example models and the test
// fixtures (echo, regress).
func repoWithFixtures(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	for _, m := range []struct{ dir, name string }{
		{testutil.ExamplesDir(), "digits"}, {testutil.ExamplesDir(), "digits-mlp"},
		{fixtures(), "echo"}, {fixtures(), "regress"},
	} {
		copyDir(t, m.dir+"/"+m.name, repo+"/"+m.name)
	}
	return repo
}
