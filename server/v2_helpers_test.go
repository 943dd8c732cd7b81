package server_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/tensor"
)

// Helpers for the protocol tests: raw HTTP and gRPC, so that the wire
// format itself is what is tested.

func fixtures() string { return filepath.Join("testdata", "models") }

func grpcConn(t *testing.T, addr string) *grpc.ClientConn { return grpcConnB(t, addr) }

func grpcConnB(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20), grpc.MaxCallSendMsgSize(256<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func grpcClient(t *testing.T, addr string) v2.GRPCInferenceServiceClient {
	return v2.NewGRPCInferenceServiceClient(grpcConn(t, addr))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postBinary posts a JSON head followed by binary data with the
// Inference-Header-Content-Length header.
func postBinary(t *testing.T, url string, head, bin []byte) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(append(append([]byte{}, head...), bin...)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(v2.HeaderContentLength, strconv.Itoa(len(head)))
	return send(t, req)
}

// v2Outputs decodes a 200 inference answer, JSON or binary, into tensors.
func v2Outputs(t *testing.T, r reply) (*v2.InferResponse, map[string]*tensor.Tensor) {
	t.Helper()
	if r.code != 200 {
		t.Fatalf("answer %d: %s", r.code, r.body)
	}
	hl := r.header.Get(v2.HeaderContentLength)
	head, rest, err := v2.SplitBody(r.body, hl)
	if err != nil {
		t.Fatal(err)
	}
	var ans v2.InferResponse
	if err := json.Unmarshal(head, &ans); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, head)
	}
	var bin *v2.BinaryData
	if hl != "" {
		bin = v2.NewBinaryData(rest)
	}
	outs := map[string]*tensor.Tensor{}
	for i := range ans.Outputs {
		x, err := ans.Outputs[i].Tensor(bin)
		if err != nil {
			t.Fatal(err)
		}
		outs[ans.Outputs[i].Name] = x
	}
	if err := bin.Done(); err != nil {
		t.Fatal(err)
	}
	return &ans, outs
}

// grpcOutputs decodes a gRPC inference answer into tensors.
func grpcOutputs(t *testing.T, r *v2.ModelInferResponse) map[string]*tensor.Tensor {
	t.Helper()
	outs := map[string]*tensor.Tensor{}
	for i, o := range r.GetOutputs() {
		dt, err := v2.ParseDatatype(o.GetDatatype())
		if err != nil {
			t.Fatal(err)
		}
		shape, err := v2.Shape(o.GetShape())
		if err != nil {
			t.Fatal(err)
		}
		var x *tensor.Tensor
		if len(r.GetRawOutputContents()) > 0 {
			x, err = v2.DecodeRaw(dt, shape, r.GetRawOutputContents()[i])
		} else {
			x, err = v2.TensorFromContents(dt, shape, o.GetContents())
		}
		if err != nil {
			t.Fatal(err)
		}
		outs[o.GetName()] = x
	}
	return outs
}

// digitsBatch is n reference images: their pixels as a [n,1,8,8] tensor
// (pixel/255), their PNG files, and the reference logits per model.
func digitsBatch(t *testing.T, n int) (*tensor.Tensor, [][]byte, map[string][][]float64) {
	t.Helper()
	ref := testutil.LoadReference(t)
	var (
		pixels []float32
		pngs   [][]byte
		logits = map[string][][]float64{}
	)
	for _, img := range ref.Images[:n] {
		for _, p := range img.Pixels {
			pixels = append(pixels, float32(p)/255)
		}
		pngs = append(pngs, sample(t, img.File))
		logits["digits"] = append(logits["digits"], img.Digits.Logits)
		logits["digits-mlp"] = append(logits["digits-mlp"], img.DigitsMLP.Logits)
	}
	return tensor.MustFromSlice(pixels, n, 1, 8, 8), pngs, logits
}

// sameTensor fails unless a and b have the same type, shape and elements
// (bit for bit for floats, NaNs aside).
func sameTensor(t *testing.T, what string, a, b *tensor.Tensor) {
	t.Helper()
	if a == nil || b == nil {
		t.Fatalf("%s: missing tensor (%v, %v)", what, a, b)
	}
	if a.DType() != b.DType() || !equalInts(a.Shape(), b.Shape()) {
		t.Fatalf("%s: %v vs %v", what, a, b)
	}
	if x, y := string(tensor.AppendJSON(nil, a)), string(tensor.AppendJSON(nil, b)); x != y {
		t.Fatalf("%s: data differ:\n%s\n%s", what, x, y)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// closeTo fails unless a float tensor's rows are within tol of want.
func closeTo(t *testing.T, what string, got *tensor.Tensor, want [][]float64, tol float64) {
	t.Helper()
	d := tensor.Data[float32](got)
	if len(d) != len(want)*len(want[0]) {
		t.Fatalf("%s: %v, want %d rows of %d", what, got, len(want), len(want[0]))
	}
	for i, row := range want {
		for j, w := range row {
			if g := float64(d[i*len(row)+j]); math.Abs(g-w) > tol {
				t.Fatalf("%s: [%d][%d] = %v, want %v", what, i, j, g, w)
			}
		}
	}
}
