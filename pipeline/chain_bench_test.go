package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inferd/inferd/api/client"
	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// canvas is a sample canvas of examples/read-number/images as the
// detector takes it (FP32 [1, 1, 16, 64] in [0, 1]), and its request
// bodies, encoded once: JSON and with the binary tensor extension.
type canvas struct {
	name         string
	x            *tensor.Tensor
	json, binary client.RESTBody
}

// canvases reads the sample canvases, preprocessed by the detector's
// own codec (its config.yaml's preprocess section).
func canvases(t testing.TB) []canvas {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", "*.png"))
	if err != nil || len(files) == 0 {
		t.Fatalf("sample canvases: %v, %v", files, err)
	}
	cfg, err := model.Load(filepath.Join(testutil.ExamplesDir(), "read-number-detector"))
	if err != nil {
		t.Fatal(err)
	}
	pre := codec.New("read-number-detector", cfg, []engine.TensorInfo{{Name: "image", DType: tensor.Float32, Shape: []int{1, 1, 16, 64}}}, nil)
	var cs []canvas
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		x, err := pre.ImagesTensor([][]byte{data}, 1<<20, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c := canvas{name: filepath.Base(f), x: x}
		req := &client.InferRequest{Inputs: []client.Input{{Name: "image", Tensor: x}}}
		if c.json, err = client.EncodeREST(req); err != nil {
			t.Fatal(err)
		}
		req.Binary = true
		if c.binary, err = client.EncodeREST(req); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

// reader is a client of the read-number chain over REST: by the pipeline
// (one request), or by calling the detector and the digits classifier
// itself (two requests, and the steps between them in the client).
type reader struct {
	base string
	hc   *http.Client
	// binary sends and receives tensors with the binary extension.
	binary bool
}

// post sends a request and decodes the answer.
func (r *reader) post(model string, body client.RESTBody) (*client.InferResponse, error) {
	req, err := http.NewRequest(http.MethodPost, r.base+"/v2/models/"+model+"/infer", bytes.NewReader(body.Data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", body.ContentType)
	if body.HeaderLength != "" {
		req.Header.Set(v2.HeaderContentLength, body.HeaderLength)
	}
	res, err := r.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s %v", model, res.StatusCode, b, err)
	}
	return client.DecodeREST(res.Header.Get(v2.HeaderContentLength), b)
}

func (r *reader) body(c canvas) client.RESTBody {
	if r.binary {
		return c.binary
	}
	return c.json
}

// pipeline reads the canvas's number through the read-number pipeline.
func (r *reader) pipeline(c canvas) (string, []float32, error) {
	res, err := r.post("read-number", r.body(c))
	if err != nil {
		return "", nil, err
	}
	number, scores := res.Output("number"), res.Output("digit_scores")
	if number == nil || scores == nil {
		return "", nil, fmt.Errorf("read-number answered %v", res.Outputs)
	}
	return tensor.Data[string](number)[0], tensor.Data[float32](scores), nil
}

// chain reads the canvas's number as a client must without pipelines:
// the detector over HTTP, the boxes scoring at least 0.5 cropped to 8×8
// (with the crop_resize step's own code), the crops read by the digits
// classifier over HTTP, and the softmax and argmax of each.
func (r *reader) chain(c canvas) (string, []float32, error) {
	det, err := r.post("read-number-detector", r.body(c))
	if err != nil {
		return "", nil, err
	}
	crops, err := cropKept(c.x, det.Output("scores"), det.Output("boxes"))
	if crops == nil || err != nil {
		return "", nil, err
	}
	body, err := client.EncodeREST(&client.InferRequest{Inputs: []client.Input{{Name: "input", Tensor: crops}}, Binary: r.binary})
	if err != nil {
		return "", nil, err
	}
	res, err := r.post("digits", body)
	if err != nil {
		return "", nil, err
	}
	return readDigits(res.Output("logits"))
}

// cropKept crops the boxes that score at least 0.5 out of the canvas x,
// to 8×8 with the crop_resize step's own code: nil when there is none.
func cropKept(x, scores, boxes *tensor.Tensor) (*tensor.Tensor, error) {
	if scores == nil || boxes == nil {
		return nil, fmt.Errorf("the detector answered scores %v, boxes %v", scores, boxes)
	}
	var kept []float32
	for i, s := range tensor.Data[float32](scores) {
		if s >= 0.5 {
			kept = append(kept, tensor.Data[float32](boxes)[i*4:i*4+4]...)
		}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	return pipeline.CropResize(x, tensor.MustFromSlice(kept, len(kept)/4, 4), 8, 8)
}

// inProcess reads the canvas's number as chain does, with the models
// called through Version.Infer (no HTTP): the pipeline's steps by hand.
func inProcess(m *serving.Manager, c canvas) (string, []float32, error) {
	infer := func(name, input string, x *tensor.Tensor) (map[string]*tensor.Tensor, error) {
		v, err := m.Acquire(name, "", "")
		if err != nil {
			return nil, err
		}
		defer v.Release()
		res, err := v.Infer(context.Background(), &serving.Request{Inputs: map[string]*tensor.Tensor{input: x}})
		if err != nil {
			return nil, err
		}
		out := map[string]*tensor.Tensor{}
		for _, o := range res.Outputs {
			out[o.Name] = o.Tensor
		}
		return out, nil
	}
	det, err := infer("read-number-detector", "image", c.x)
	if err != nil {
		return "", nil, err
	}
	crops, err := cropKept(c.x, det["scores"], det["boxes"])
	if crops == nil || err != nil {
		return "", nil, err
	}
	res, err := infer("digits", "input", crops)
	if err != nil {
		return "", nil, err
	}
	return readDigits(res["logits"])
}

// readDigits is the argmax of the softmax of each row of logits FP32
// [M, 10]: the digits (digits' labels are the digits) and their scores.
func readDigits(logits *tensor.Tensor) (string, []float32, error) {
	if logits == nil || logits.Rank() != 2 || logits.DType() != tensor.Float32 {
		return "", nil, fmt.Errorf("digits answered logits %v", logits)
	}
	m, k := logits.Shape()[0], logits.Shape()[1]
	x := tensor.Data[float32](logits)
	var number strings.Builder
	scores := make([]float32, m)
	row := make([]float64, k)
	for i := range m {
		for j := range k {
			row[j] = float64(x[i*k+j])
		}
		codec.SoftmaxTo(row, row)
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		number.WriteString(strconv.Itoa(best))
		scores[i] = float32(row[best])
	}
	return number.String(), scores, nil
}

// readNumberCases are the read-number cases of BenchmarkPipelineRatio,
// each reading the next sample canvas: the pipeline and the client's
// chain, over v2 JSON and v2 binary, and in process (Version.Infer: the
// pipeline, and its steps by hand). It checks first that all read every
// canvas alike.
func readNumberCases(b *testing.B, in *servertest.Instance, hc *http.Client) []benchCase {
	cs := canvases(b)
	var next atomic.Uint64
	run := func(read func(canvas) (string, []float32, error)) func() {
		return func() {
			if _, _, err := read(cs[next.Add(1)%uint64(len(cs))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	direct := func(c canvas) (string, []float32, error) {
		v, err := in.Models.Acquire("read-number", "", "")
		if err != nil {
			return "", nil, err
		}
		defer v.Release()
		res, err := v.Infer(context.Background(), &serving.Request{Inputs: map[string]*tensor.Tensor{"image": c.x}})
		if err != nil {
			return "", nil, err
		}
		return tensor.Data[string](res.Outputs[0].Tensor)[0], nil, nil
	}
	byHand := func(c canvas) (string, []float32, error) { return inProcess(in.Models, c) }
	cases := []benchCase{{"read-number-inprocess", run(direct)}, {"steps-by-hand-inprocess", run(byHand)}}
	check := [][2]func(canvas) (string, []float32, error){{direct, byHand}}
	for _, binary := range []bool{false, true} {
		r := &reader{base: in.URL, hc: hc, binary: binary}
		proto := map[bool]string{false: "json", true: "binary"}[binary]
		cases = append(cases,
			benchCase{"read-number-" + proto, run(r.pipeline)},
			benchCase{"client-chain-" + proto, run(r.chain)})
		check = append(check, [2]func(canvas) (string, []float32, error){r.pipeline, r.chain})
	}
	for _, c := range cs {
		for _, pair := range check {
			p, _, err1 := pair[0](c)
			h, _, err2 := pair[1](c)
			if err1 != nil || err2 != nil || p != h {
				b.Fatalf("%s: the pipeline reads %q (%v), the steps %q (%v)", c.name, p, err1, h, err2)
			}
		}
	}
	return cases
}
