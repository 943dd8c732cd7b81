package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// echoInputs are [2,2] tensors of every datatype, with the extremes of
// each, for the echo fixture (every input passed through Identity). text
// keeps BYTES valid UTF-8, which JSON needs.
func echoInputs(text bool) map[string]*tensor.Tensor {
	f16, _ := tensor.FromFloat16Bits([]uint16{tensor.Float32ToFloat16(0), tensor.Float32ToFloat16(1), tensor.Float32ToFloat16(-2.5), tensor.Float32ToFloat16(65504)}, 2, 2)
	s := []string{"a", "é", "", "two words"}
	if !text {
		s[2] = "\xff\x00\xfe binary"
	}
	return map[string]*tensor.Tensor{
		"b":   tensor.MustFromSlice([]bool{true, false, false, true}, 2, 2),
		"u8":  tensor.MustFromSlice([]uint8{0, 255, 1, 128}, 2, 2),
		"u16": tensor.MustFromSlice([]uint16{0, math.MaxUint16, 1, 300}, 2, 2),
		"u32": tensor.MustFromSlice([]uint32{0, math.MaxUint32, 1, 70000}, 2, 2),
		"u64": tensor.MustFromSlice([]uint64{0, math.MaxUint64, 1, 1 << 60}, 2, 2),
		"i8":  tensor.MustFromSlice([]int8{math.MinInt8, math.MaxInt8, 0, -1}, 2, 2),
		"i16": tensor.MustFromSlice([]int16{math.MinInt16, math.MaxInt16, 0, -1}, 2, 2),
		"i32": tensor.MustFromSlice([]int32{math.MinInt32, math.MaxInt32, 0, -1}, 2, 2),
		"i64": tensor.MustFromSlice([]int64{math.MinInt64, math.MaxInt64, 0, -1}, 2, 2),
		"f16": f16,
		"f32": tensor.MustFromSlice([]float32{0.1, -math.MaxFloat32, math.SmallestNonzeroFloat32, 7}, 2, 2),
		"f64": tensor.MustFromSlice([]float64{0.1, math.MaxFloat64, -math.SmallestNonzeroFloat64, 2}, 2, 2),
		"s":   tensor.MustFromSlice(s, 2, 2),
	}
}

// echoOutput is the output the echo fixture gives an input.
func echoOutput(input string) string {
	if input == "s" {
		return "s_bytes"
	}
	return input + "_out"
}

var echoOrder = []string{"b", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f16", "f32", "f64", "s"}

// Every datatype survives every encoding: v2 JSON, v2 binary data, gRPC raw
// contents, and TF Serving's JSON with b64 strings.
func TestEveryDatatype(t *testing.T) {
	s := servertest.Start(t, fixtures())
	infer := s.URL + "/v2/models/echo/infer"
	t.Run("v2 JSON", func(t *testing.T) { echoV2JSON(t, infer) })
	t.Run("v2 binary", func(t *testing.T) { echoV2Binary(t, infer) })
	t.Run("gRPC raw", func(t *testing.T) { echoGRPCRaw(t, s.GRPCAddr) })
	t.Run("TF Serving", func(t *testing.T) { echoTFServing(t, s.URL) })
}

// checkEcho fails unless out holds every input of in, unchanged, under the
// echo fixture's name for it, and nothing else.
func checkEcho(t *testing.T, in, out map[string]*tensor.Tensor) {
	t.Helper()
	if len(out) != len(in) {
		t.Fatalf("%d outputs for %d inputs", len(out), len(in))
	}
	for name, x := range in {
		sameTensor(t, name, out[echoOutput(name)], x)
	}
}

// echoV2JSON sends every datatype to the echo fixture as v2 JSON data.
func echoV2JSON(t *testing.T, infer string) {
	in := echoInputs(true)
	var parts []string
	for _, name := range echoOrder {
		x := in[name]
		parts = append(parts, fmt.Sprintf(`{"name": %q, "shape": [2, 2], "datatype": %q, "data": %s}`, name, x.DType(), tensor.AppendJSON(nil, x)))
	}
	ans, out := v2Outputs(t, do(t, http.MethodPost, infer, "application/json", []byte(`{"inputs": [`+strings.Join(parts, ",")+`]}`)))
	for i, o := range ans.Outputs { // the model's order
		if o.Name != echoOutput(echoOrder[i]) || o.Datatype != in[echoOrder[i]].DType().String() {
			t.Errorf("output %d: %s %s", i, o.Name, o.Datatype)
		}
	}
	checkEcho(t, in, out)
}

// echoV2Binary sends every datatype to the echo fixture as v2 binary data
// and asks for binary outputs.
func echoV2Binary(t *testing.T, infer string) {
	in := echoInputs(false)
	var (
		parts []string
		bin   []byte
	)
	for _, name := range echoOrder {
		x := in[name]
		n := len(bin)
		bin = v2.AppendRaw(bin, x)
		parts = append(parts, fmt.Sprintf(`{"name": %q, "shape": [2, 2], "datatype": %q, "parameters": {"binary_data_size": %d}}`, name, x.DType(), len(bin)-n))
	}
	head := `{"parameters": {"binary_data_output": true}, "inputs": [` + strings.Join(parts, ",") + `]}`
	_, out := v2Outputs(t, postBinary(t, infer, []byte(head), bin))
	checkEcho(t, in, out)
}

// echoGRPCRaw sends every datatype to the echo fixture over gRPC in
// raw_input_contents.
func echoGRPCRaw(t *testing.T, addr string) {
	in := echoInputs(false)
	req := &v2.ModelInferRequest{ModelName: "echo"}
	for _, name := range echoOrder {
		x := in[name]
		req.Inputs = append(req.Inputs, &v2.ModelInferRequest_InferInputTensor{Name: name, Datatype: x.DType().String(), Shape: []int64{2, 2}})
		req.RawInputContents = append(req.RawInputContents, v2.AppendRaw(nil, x))
	}
	ans, err := grpcClient(t, addr).ModelInfer(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	checkEcho(t, in, grpcOutputs(t, ans))
}

// echoTFServing sends every datatype to the echo fixture in TF Serving's
// columnar and row formats, BYTES as b64 where they are not text.
func echoTFServing(t *testing.T, base string) {
	in := echoInputs(false)
	cols := map[string]json.RawMessage{}
	for name, x := range in {
		if name == "s" {
			cols[name] = json.RawMessage(`[[{"b64": "YQ=="}, {"b64": "w6k="}], [{"b64": "/wD+IGJpbmFyeQ=="}, "two words"]]`)
			continue
		}
		cols[name] = tensor.AppendJSON(nil, x)
	}
	var ans struct{ Outputs map[string]json.RawMessage }
	r := do(t, http.MethodPost, base+"/v1/models/echo:predict", "application/json", mustJSON(t, map[string]any{"inputs": cols}))
	r.json(t, &ans)
	if r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if !strings.Contains(string(ans.Outputs["s_bytes"]), `{"b64":"/wD+IGJpbmFyeQ=="}`) {
		t.Errorf("s_bytes is not base64: %s", ans.Outputs["s_bytes"])
	}
	// Row format: instances of named inputs; predictions of named outputs.
	var pred struct{ Predictions []map[string]json.RawMessage }
	do(t, http.MethodPost, base+"/v1/models/echo:predict", "application/json", mustJSON(t, map[string]any{"instances": tfRows(t, cols)})).json(t, &pred)
	if len(pred.Predictions) != 2 {
		t.Fatalf("predictions: %+v", pred)
	}
	for name, x := range in {
		if name == "s" {
			continue
		}
		out := echoOutput(name)
		if got := "[" + string(pred.Predictions[0][out]) + "," + string(pred.Predictions[1][out]) + "]"; got != string(tensor.AppendJSON(nil, x)) {
			t.Errorf("row output %s = %s, want %s", out, got, tensor.AppendJSON(nil, x))
		}
		if string(ans.Outputs[out]) != string(tensor.AppendJSON(nil, x)) {
			t.Errorf("columnar output %s = %s", out, ans.Outputs[out])
		}
	}
}

// tfRows turns TF Serving columns of two rows each into the two instances
// of the row format.
func tfRows(t *testing.T, cols map[string]json.RawMessage) []map[string]json.RawMessage {
	t.Helper()
	var rows []map[string]json.RawMessage
	for i := range 2 {
		row := map[string]json.RawMessage{}
		for name, col := range cols {
			var rs []json.RawMessage
			if err := json.Unmarshal(col, &rs); err != nil {
				t.Fatal(err)
			}
			row[name] = rs[i]
		}
		rows = append(rows, row)
	}
	return rows
}
