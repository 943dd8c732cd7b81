package client_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/inferd/inferd/api/client"
	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// Both transports against a real server: health, metadata, tensors as JSON
// and as binary data, classification, images, errors.
func TestClient(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	ref := testutil.LoadReference(t)
	const n = 3
	var (
		pixels []float32
		pngs   [][]byte
	)
	for _, img := range ref.Images[:n] {
		for _, p := range img.Pixels {
			pixels = append(pixels, float32(p)/255)
		}
		pngs = append(pngs, testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", img.File)))
	}
	x := tensor.MustFromSlice(pixels, n, 1, 8, 8)
	ctx := context.Background()
	var first *tensor.Tensor // every transport and encoding gives the same logits
	for _, url := range []string{s.URL, "grpc://" + s.GRPCAddr} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			c, err := client.New(url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			checkHealth(ctx, t, c)
			md, err := c.ModelMetadata(ctx, "digits-mlp", "")
			if err != nil || md.Name != "digits-mlp" || len(md.Inputs) != 1 || !slices.Equal(md.Inputs[0].Shape, []int64{-1, 1, 8, 8}) {
				t.Fatalf("ModelMetadata = %+v, %v", md, err)
			}
			for _, binary := range []bool{false, true} {
				res, err := c.Infer(ctx, &client.InferRequest{Model: "digits-mlp", Version: "1", ID: "c1", Binary: binary,
					Inputs: []client.Input{{Name: "input", Tensor: x}}})
				if err != nil {
					t.Fatal(err)
				}
				if res.Model != "digits-mlp" || res.Version != "1" || res.ID != "c1" || len(res.Outputs) != 1 {
					t.Fatalf("answer %+v", res)
				}
				logits := res.Output("logits")
				for i, img := range ref.Images[:n] {
					for j, want := range img.DigitsMLP.Logits {
						if got := float64(tensor.Data[float32](logits)[i*10+j]); math.Abs(got-want) > 1e-4 {
							t.Fatalf("binary %v: logits[%d][%d] = %v, want %v", binary, i, j, got, want)
						}
					}
				}
				if first == nil {
					first = logits
				} else if string(tensor.AppendJSON(nil, logits)) != string(tensor.AppendJSON(nil, first)) {
					t.Errorf("binary %v: logits differ from the first transport's", binary)
				}
			}
			res, err := c.Infer(ctx, &client.InferRequest{Model: "digits-mlp", Inputs: []client.Input{{Name: "input", Tensor: x}},
				Outputs: []client.RequestedOutput{{Name: "logits", Classification: 2}}})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := client.ParseClassifications(res.Output("logits"))
			if err != nil || len(rows) != n || len(rows[0]) != 2 || rows[0][0].Label != ref.Images[0].DigitsMLP.Predicted {
				t.Errorf("classification = %+v, %v", rows, err)
			}
			preds, err := c.ClassifyImages(ctx, &client.ImageRequest{Model: "digits", Images: pngs, TopK: 3})
			if err != nil {
				t.Fatal(err)
			}
			for i, img := range ref.Images[:n] {
				if len(preds[i]) != 3 || preds[i][0].Label != img.Digits.Predicted || preds[i][0].Score < preds[i][1].Score {
					t.Errorf("image %s: %+v, want %s first", img.File, preds[i], img.Digits.Predicted)
				}
			}
			checkErrors(ctx, t, c, x)
		})
	}
}

// checkHealth checks the client's health, readiness and server metadata
// calls against a server of the examples.
func checkHealth(ctx context.Context, t *testing.T, c *client.Client) {
	t.Helper()
	if live, err := c.ServerLive(ctx); err != nil || !live {
		t.Errorf("ServerLive = %v, %v", live, err)
	}
	if ready, err := c.ServerReady(ctx); err != nil || !ready {
		t.Errorf("ServerReady = %v, %v", ready, err)
	}
	if md, err := c.ServerMetadata(ctx); err != nil || md.Name != "inferd" || md.Version != "test" || !slices.Contains(md.Extensions, "classification") {
		t.Errorf("ServerMetadata = %+v, %v", md, err)
	}
	if ready, err := c.ModelReady(ctx, "digits", "production"); err != nil || !ready {
		t.Errorf("ModelReady = %v, %v", ready, err)
	}
	if _, err := c.ModelReady(ctx, "digits", "9"); !client.IsNotFound(err) {
		t.Errorf("ModelReady of an unknown version: %v", err)
	}
}

// checkErrors checks that the client's errors carry the server's: an
// unknown model (not found), and a tensor x of the wrong shape.
func checkErrors(ctx context.Context, t *testing.T, c *client.Client, x *tensor.Tensor) {
	t.Helper()
	_, err := c.Infer(ctx, &client.InferRequest{Model: "cats", Inputs: []client.Input{{Name: "input", Tensor: x}}})
	var e *client.Error
	if !errors.As(err, &e) || !client.IsNotFound(err) || !strings.Contains(e.Message, `model "cats"`) {
		t.Errorf("unknown model: %v", err)
	}
	_, err = c.Infer(ctx, &client.InferRequest{Model: "digits", Inputs: []client.Input{{Name: "input", Tensor: tensor.MustFromSlice([]float32{1}, 1)}}})
	if !errors.As(err, &e) || (e.HTTPStatus != 400 && e.Code != codes.InvalidArgument) || !strings.Contains(e.Message, "model expects [-1 1 8 8]") {
		t.Errorf("bad shape: %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:8080", "ftp://x", "grpc://", "http://[::1"} {
		if _, err := client.New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
	if _, err := client.New("grpc://127.0.0.1:1"); err != nil {
		t.Errorf("gRPC connects lazily: %v", err)
	}
}

func TestParseClassifications(t *testing.T) {
	rows, err := client.ParseClassifications(tensor.MustFromSlice([]string{"0.9:7:seven", "0.1:1:a:b", "3.5:0", "-1:2"}, 2, 2))
	want := [][]client.Classification{{{Label: "seven", Index: 7, Score: 0.9}, {Label: "a:b", Index: 1, Score: 0.1}}, {{Index: 0, Score: 3.5}, {Index: 2, Score: -1}}}
	if err != nil || len(rows) != 2 || !slices.Equal(rows[0], want[0]) || !slices.Equal(rows[1], want[1]) {
		t.Errorf("ParseClassifications = %+v, %v", rows, err)
	}
	if rows, err := client.ParseClassifications(tensor.MustFromSlice([]string{"1:4"}, 1)); err != nil || len(rows) != 1 || rows[0][0].Index != 4 {
		t.Errorf("rank 1: %+v, %v", rows, err)
	}
	for _, bad := range []*tensor.Tensor{
		tensor.MustFromSlice([]string{"0.9"}, 1),
		tensor.MustFromSlice([]string{"x:1"}, 1),
		tensor.MustFromSlice([]string{"1:y"}, 1),
		tensor.MustFromSlice([]float32{1}, 1),
	} {
		if _, err := client.ParseClassifications(bad); err == nil {
			t.Errorf("ParseClassifications(%s) accepted", tensor.AppendJSON(nil, bad))
		}
	}
}

func TestParseRequestJSON(t *testing.T) {
	md := &v2.ModelMetadata{Name: "digits", Inputs: []v2.TensorMetadata{{Name: "input", Datatype: "FP32", Shape: []int64{-1, 1, 8, 8}}}}
	seed, err := os.ReadFile(filepath.Join(testutil.DigitsDir(), "sample-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := client.ParseRequestJSON(seed, md)
	if err != nil || len(req.Inputs) != 1 || req.Inputs[0].Tensor.String() != "FP32[1 1 8 8]" {
		t.Fatalf("seed format: %+v, %v", req, err)
	}
	req, err = client.ParseRequestJSON([]byte(`{"id": "7", "parameters": {"binary_data_output": true}, "inputs": [{"name": "a", "shape": [2], "datatype": "INT64", "data": [1, 2]}], "outputs": [{"name": "b", "parameters": {"classification": 3}}]}`), md)
	if err != nil || req.ID != "7" || !req.Binary || req.Inputs[0].Tensor.String() != "INT64[2]" || req.Outputs[0] != (client.RequestedOutput{Name: "b", Classification: 3}) {
		t.Fatalf("v2 format: %+v, %v", req, err)
	}
	for body, want := range map[string]string{
		`{"inputs": {"pixels": [1]}}`: `model "digits" has no input "pixels"`,
		`{"inputs": []}`:              `"inputs" is empty`,
		`{"input": []}`:               `unknown field "input"`,
		`{"inputs": 3}`:               `no "inputs"`,
		`{"inputs": [{"name": "a", "shape": [3], "datatype": "INT64", "data": [1]}]}`: "needs 3 elements",
		`{"inputs": {"input": [[1], [2, 3]]}}`:                                        "ragged",
	} {
		if _, err := client.ParseRequestJSON([]byte(body), md); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

// TestParseRequestJSONUnknownInputs: of several inputs the model does not
// have, the error names the first in alphabetical order, every time.
func TestParseRequestJSONUnknownInputs(t *testing.T) {
	md := &v2.ModelMetadata{Name: "digits", Inputs: []v2.TensorMetadata{{Name: "input", Datatype: "FP32", Shape: []int64{-1, 2}}}}
	tests := []struct {
		body string
		want string
	}{
		{`{"inputs": {"input": [[1, 2]], "e": [1], "d": [1], "c": [1], "b": [1], "a": [1]}}`, `model "digits" has no input "a"`},
		{`{"inputs": {"zz": [1], "input": [[1, 2]], "yy": [1], "xx": [1]}}`, `model "digits" has no input "xx"`},
	}
	for _, tt := range tests {
		for range 20 { // map order varies from one call to the next
			_, err := client.ParseRequestJSON([]byte(tt.body), md)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("%s: %v, want %q", tt.body, err, tt.want)
			}
		}
	}
}
