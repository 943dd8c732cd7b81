package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkProtocols is one inference of a batch of digits through each
// protocol and encoding, end to end on loopback: what the encoding costs
// next to the model.
func BenchmarkProtocols(b *testing.B) {
	s := servertest.Start(b, testutil.ExamplesCopy(b))
	conn := v2.NewGRPCInferenceServiceClient(grpcConnB(b, s.GRPCAddr))
	for _, n := range []int{1, 256} {
		x := tensor.New(tensor.Float32, n, 1, 8, 8)
		for i := range tensor.Data[float32](x) {
			tensor.Data[float32](x)[i] = float32(i%255) / 255
		}
		flat, _ := x.Reshape(x.Len())
		jsonBody := []byte(fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "data": %s}]}`, n, tensor.AppendJSON(nil, flat)))
		raw := v2.AppendRaw(nil, x)
		head := []byte(fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "parameters": {"binary_data_size": %d}}], "parameters": {"binary_data_output": true}}`, n, len(raw)))
		binBody := append(append([]byte{}, head...), raw...)
		contents, _ := v2.ContentsOf(x)
		post := func(b *testing.B, body []byte, headerLen int) {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2/models/digits/infer", bytes.NewReader(body))
			if headerLen > 0 {
				req.Header.Set(v2.HeaderContentLength, strconv.Itoa(headerLen))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		infer := func(b *testing.B, req *v2.ModelInferRequest) {
			if _, err := conn.ModelInfer(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		shape := []int64{int64(n), 1, 8, 8}
		b.Run(fmt.Sprintf("batch=%d/v2-json", n), func(b *testing.B) {
			for b.Loop() {
				post(b, jsonBody, 0)
			}
		})
		b.Run(fmt.Sprintf("batch=%d/v2-binary", n), func(b *testing.B) {
			for b.Loop() {
				post(b, binBody, len(head))
			}
		})
		b.Run(fmt.Sprintf("batch=%d/grpc-typed", n), func(b *testing.B) {
			req := &v2.ModelInferRequest{ModelName: "digits", Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: shape, Contents: contents}}}
			for b.Loop() {
				infer(b, req)
			}
		})
		b.Run(fmt.Sprintf("batch=%d/grpc-raw", n), func(b *testing.B) {
			req := &v2.ModelInferRequest{ModelName: "digits", Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: shape}}, RawInputContents: [][]byte{raw}}
			for b.Loop() {
				infer(b, req)
			}
		})
	}
}
