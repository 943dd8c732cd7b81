package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// The same input gives the same numbers over every protocol and encoding:
// v2 REST with JSON (flat and nested) and binary data, v2 gRPC with typed
// and raw contents, TF Serving's row and columnar formats and the seed
// route; they match PyTorch's reference logits. Images sent as BYTES (v2
// binary data, gRPC contents, TF b64) match the tensor path.
func TestSameNumbersEveryProtocol(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	g := grpcClient(t, s.GRPCAddr)
	const n = 4
	x, pngs, ref := digitsBatch(t, n)
	contents, err := v2.ContentsOf(x)
	if err != nil {
		t.Fatal(err)
	}
	in := digitsEncodings{
		n:        n,
		flat:     tensor.AppendJSON(nil, tensor.MustFromSlice(tensor.Data[float32](x), x.Len())),
		nested:   tensor.AppendJSON(nil, x),
		raw:      v2.AppendRaw(nil, x),
		contents: contents,
		pngs:     pngs,
	}
	for _, model := range []string{"digits", "digits-mlp"} {
		t.Run(model, func(t *testing.T) {
			got := map[string]*tensor.Tensor{}
			v2RESTLogits(t, s.URL, model, in, got)
			grpcLogits(t, g, model, in, got)
			tfAndSeedLogits(t, s.URL, model, in, got)

			want := got["v2 JSON flat"]
			closeTo(t, "v2 JSON flat vs PyTorch", want, ref[model], 1e-4)
			for what, x := range got {
				sameTensor(t, what, x, want)
			}

			checkImagesAsBytes(t, s.URL, g, model, in, ref[model])
		})
	}
}

// digitsEncodings is one batch of reference digits in each encoding the
// protocols take.
type digitsEncodings struct {
	n        int
	flat     []byte // JSON, one flat array
	nested   []byte // JSON, nested [n][1][8][8]
	raw      []byte // v2 raw little-endian bytes
	contents *v2.InferTensorContents
	pngs     [][]byte
}

// v2RESTLogits infers in over v2 REST, JSON flat and nested and binary
// data in and out, and adds the logits to got.
func v2RESTLogits(t *testing.T, base, model string, in digitsEncodings, got map[string]*tensor.Tensor) {
	t.Helper()
	infer := base + "/v2/models/" + model + "/versions/1/infer"
	body := fmt.Sprintf(`{"id": "r1", "inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "data": %s}]}`, in.n, in.flat)
	ans, outs := v2Outputs(t, do(t, http.MethodPost, infer, "application/json", []byte(body)))
	if ans.ModelName != model || ans.ModelVersion != "1" || ans.ID != "r1" || len(ans.Outputs) != 1 || ans.Outputs[0].Datatype != "FP32" {
		t.Fatalf("answer %+v", ans)
	}
	got["v2 JSON flat"] = outs["logits"]

	body = fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "data": %s}]}`, in.n, in.nested)
	_, outs = v2Outputs(t, do(t, http.MethodPost, base+"/v2/models/"+model+"/infer", "application/json", []byte(body)))
	got["v2 JSON nested, default version"] = outs["logits"]

	head := fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "parameters": {"binary_data_size": %d}}], "outputs": [{"name": "logits", "parameters": {"binary_data": true}}]}`, in.n, len(in.raw))
	r := postBinary(t, infer, []byte(head), in.raw)
	if r.header.Get(v2.HeaderContentLength) == "" {
		t.Fatalf("binary answer without %s: %s", v2.HeaderContentLength, r.body)
	}
	_, outs = v2Outputs(t, r)
	got["v2 binary"] = outs["logits"]

	head = fmt.Sprintf(`{"parameters": {"binary_data_output": true}, "inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "data": %s}]}`, in.n, in.flat)
	_, outs = v2Outputs(t, do(t, http.MethodPost, infer, "application/json", []byte(head)))
	got["v2 JSON in, binary_data_output"] = outs["logits"]
}

// grpcLogits infers in over v2 gRPC, typed and raw contents, and adds the
// logits to got.
func grpcLogits(t *testing.T, g v2.GRPCInferenceServiceClient, model string, in digitsEncodings, got map[string]*tensor.Tensor) {
	t.Helper()
	ctx := context.Background()
	typed, err := g.ModelInfer(ctx, &v2.ModelInferRequest{ModelName: model, ModelVersion: "1", Id: "g1",
		Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{int64(in.n), 1, 8, 8}, Contents: in.contents}}})
	if err != nil {
		t.Fatal(err)
	}
	if typed.GetId() != "g1" || typed.GetModelVersion() != "1" || len(typed.GetRawOutputContents()) != 0 {
		t.Fatalf("typed answer %v", typed)
	}
	got["gRPC typed"] = grpcOutputs(t, typed)["logits"]

	rawAns, err := g.ModelInfer(ctx, &v2.ModelInferRequest{ModelName: model,
		Inputs:           []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{int64(in.n), 1, 8, 8}}},
		RawInputContents: [][]byte{in.raw}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rawAns.GetRawOutputContents()) != 1 || rawAns.GetOutputs()[0].GetContents() != nil {
		t.Fatalf("raw answer %v", rawAns)
	}
	got["gRPC raw"] = grpcOutputs(t, rawAns)["logits"]
}

// tfAndSeedLogits infers in over TF Serving's row and columnar formats
// and the seed route, and adds the logits to got.
func tfAndSeedLogits(t *testing.T, base, model string, in digitsEncodings, got map[string]*tensor.Tensor) {
	t.Helper()
	var rows []json.RawMessage
	if err := json.Unmarshal(in.nested, &rows); err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Predictions [][]float32     `json:"predictions"`
		Outputs     json.RawMessage `json:"outputs"`
	}
	do(t, http.MethodPost, base+"/v1/models/"+model+":predict", "application/json", mustJSON(t, map[string]any{"instances": rows})).json(t, &tf)
	got["TF row"] = tensor.MustFromSlice(flatten(tf.Predictions), len(tf.Predictions), 10)
	r := do(t, http.MethodPost, base+"/v1/models/"+model+"/versions/1:predict", "application/json", []byte(`{"inputs": {"input": `+string(in.nested)+`}}`))
	r.json(t, &tf)
	cols, err := tensor.FromJSON(tf.Outputs, tensor.Float32)
	if err != nil {
		t.Fatalf("TF columnar answer %s: %v", r.body, err)
	}
	got["TF columnar"] = cols

	var seed struct{ Outputs map[string]json.RawMessage }
	do(t, http.MethodPost, base+"/models/"+model+"/v1", "application/json", []byte(`{"inputs": {"input": `+string(in.nested)+`}}`)).json(t, &seed)
	if got["seed"], err = tensor.FromJSON(seed.Outputs["logits"], tensor.Float32); err != nil {
		t.Fatal(err)
	}
}

// checkImagesAsBytes sends the PNG files of in as BYTES, decoded and
// preprocessed by the server, over v2 binary data, gRPC contents and TF
// Serving b64: the logits match ref and each other.
func checkImagesAsBytes(t *testing.T, base string, g v2.GRPCInferenceServiceClient, model string, in digitsEncodings, ref [][]float64) {
	t.Helper()
	n := in.n
	imgs := tensor.MustFromSlice(bytesData(in.pngs), n)
	imgRaw := v2.AppendRaw(nil, imgs)
	head := fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d], "datatype": "BYTES", "parameters": {"binary_data_size": %d}}]}`, n, len(imgRaw))
	_, outs := v2Outputs(t, postBinary(t, base+"/v2/models/"+model+"/versions/1/infer", []byte(head), imgRaw))
	closeTo(t, "v2 images", outs["logits"], ref, 1e-4)
	imgContents, _ := v2.ContentsOf(imgs)
	gi, err := g.ModelInfer(context.Background(), &v2.ModelInferRequest{ModelName: model,
		Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "BYTES", Shape: []int64{int64(n)}, Contents: imgContents}}})
	if err != nil {
		t.Fatal(err)
	}
	sameTensor(t, "gRPC images", grpcOutputs(t, gi)["logits"], outs["logits"])
	var b64 []map[string]string
	for _, p := range in.pngs {
		b64 = append(b64, map[string]string{"b64": base64.StdEncoding.EncodeToString(p)})
	}
	var tf struct {
		Predictions [][]float32 `json:"predictions"`
	}
	do(t, http.MethodPost, base+"/v1/models/"+model+"/labels/production:predict", "application/json", mustJSON(t, map[string]any{"instances": b64})).json(t, &tf)
	sameTensor(t, "TF b64 images", tensor.MustFromSlice(flatten(tf.Predictions), n, 10), outs["logits"])
}

func flatten(rows [][]float32) []float32 {
	var out []float32
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func bytesData(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
