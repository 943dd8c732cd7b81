package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	png          []byte
	x            *tensor.Tensor
	json, binary client.RESTBody
}

// detectorCodec is the detector's own codec (its config.yaml's preprocess
// section): what a Go client uses to turn a canvas PNG into its tensor.
func detectorCodec(t testing.TB) *codec.Codec {
	t.Helper()
	cfg, err := model.Load(filepath.Join(testutil.ExamplesDir(), "read-number-detector"))
	if err != nil {
		t.Fatal(err)
	}
	return codec.New("read-number-detector", cfg, []engine.TensorInfo{{Name: "image", DType: tensor.Float32, Shape: []int{1, 1, 16, 64}}}, nil)
}

// canvases reads the sample canvases, preprocessed by the detector's
// own codec.
func canvases(t testing.TB) []canvas {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", "*.png"))
	if err != nil || len(files) == 0 {
		t.Fatalf("sample canvases: %v, %v", files, err)
	}
	pre := detectorCodec(t)
	var cs []canvas
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		x, err := pre.ImagesTensor([][]byte{data}, codec.NewBudget(1<<20, nil), nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c := canvas{name: filepath.Base(f), png: data, x: x}
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
	// pre is the detector's codec, for a client that holds PNG canvases.
	pre *codec.Codec
}

// do sends a POST and returns the answer's body and its
// Inference-Header-Content-Length header.
func (r *reader) do(path, contentType, headerLength string, body []byte) ([]byte, string, error) {
	req, err := http.NewRequest(http.MethodPost, r.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", contentType)
	if headerLength != "" {
		req.Header.Set(v2.HeaderContentLength, headerLength)
	}
	res, err := r.hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s: %d %s %v", path, res.StatusCode, b, err)
	}
	return b, res.Header.Get(v2.HeaderContentLength), nil
}

// post sends a v2 request and decodes the answer.
func (r *reader) post(model string, body client.RESTBody) (*client.InferResponse, error) {
	b, headerLength, err := r.do("/v2/models/"+model+"/infer", body.ContentType, body.HeaderLength, body.Data)
	if err != nil {
		return nil, err
	}
	return client.DecodeREST(headerLength, b)
}

// postImage POSTs a PNG to a model's seed route and decodes the outputs
// of its answer (`{"outputs": {name: nested arrays}}`) into out.
func (r *reader) postImage(model string, png []byte, out any) error {
	b, _, err := r.do("/models/"+model, "image/png", "", png)
	if err != nil {
		return err
	}
	ans := struct {
		Outputs any `json:"outputs"`
	}{out}
	return json.Unmarshal(b, &ans)
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
	scores, boxes, err := r.detect(c)
	if err != nil {
		return "", nil, err
	}
	return r.readCrops(c.x, scores, boxes, r.binary)
}

// readCrops is the rest of the client's chain after the detector: crop
// the kept boxes out of the canvas x, read them with digits over v2 (JSON,
// or binary), and take the softmax and argmax of each.
func (r *reader) readCrops(x, scores, boxes *tensor.Tensor, binary bool) (string, []float32, error) {
	crops, err := cropKept(x, scores, boxes)
	if crops == nil || err != nil {
		return "", nil, err
	}
	body, err := client.EncodeREST(&client.InferRequest{Inputs: []client.Input{{Name: "input", Tensor: crops}}, Binary: binary})
	if err != nil {
		return "", nil, err
	}
	res, err := r.post("digits", body)
	if err != nil {
		return "", nil, err
	}
	return readDigits(res.Output("logits"))
}

// detect is the client's first call: the canvas to the detector, its
// scores and boxes decoded.
func (r *reader) detect(c canvas) (scores, boxes *tensor.Tensor, err error) {
	det, err := r.post("read-number-detector", r.body(c))
	if err != nil {
		return nil, nil, err
	}
	return det.Output("scores"), det.Output("boxes"), nil
}

// detectImage is detect with the canvas as a PNG, on the seed route.
func (r *reader) detectImage(c canvas) (scores, boxes *tensor.Tensor, err error) {
	var out struct {
		Scores []float32    `json:"scores"`
		Boxes  [][4]float32 `json:"boxes"`
	}
	if err := r.postImage("read-number-detector", c.png, &out); err != nil {
		return nil, nil, err
	}
	if len(out.Scores) != len(out.Boxes) {
		return nil, nil, fmt.Errorf("the detector answered %d scores, %d boxes", len(out.Scores), len(out.Boxes))
	}
	flat := make([]float32, 0, 4*len(out.Boxes))
	for _, b := range out.Boxes {
		flat = append(flat, b[:]...)
	}
	return tensor.MustFromSlice(out.Scores, len(out.Scores)), tensor.MustFromSlice(flat, len(out.Boxes), 4), nil
}

// pipelineImage reads the canvas's number through the read-number
// pipeline as a client holding the PNG does: one POST on the seed route.
func (r *reader) pipelineImage(c canvas) (string, []float32, error) {
	var out struct {
		Number []string  `json:"number"`
		Scores []float32 `json:"digit_scores"`
	}
	if err := r.postImage("read-number", c.png, &out); err != nil {
		return "", nil, err
	}
	if len(out.Number) != 1 {
		return "", nil, fmt.Errorf("read-number answered number %q", out.Number)
	}
	return out.Number[0], out.Scores, nil
}

// chainImage is chain for a client holding the PNG: the PNG to the
// detector on the seed route, the canvas decoded and preprocessed in the
// client (with the detector's own codec) to crop the kept boxes, and the
// crops to digits over v2 binary.
func (r *reader) chainImage(c canvas) (string, []float32, error) {
	scores, boxes, err := r.detectImage(c)
	if err != nil {
		return "", nil, err
	}
	x, err := r.pre.ImagesTensor([][]byte{c.png}, codec.NewBudget(1<<20, nil), nil)
	if err != nil {
		return "", nil, err
	}
	return r.readCrops(x, scores, boxes, true)
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
	det, err := inferLocal(m, "read-number-detector", "image", c.x)
	if err != nil {
		return "", nil, err
	}
	crops, err := cropKept(c.x, det["scores"], det["boxes"])
	if crops == nil || err != nil {
		return "", nil, err
	}
	res, err := inferLocal(m, "digits", "input", crops)
	if err != nil {
		return "", nil, err
	}
	return readDigits(res["logits"])
}

// inPipeline reads the canvas's number through the read-number pipeline
// with Version.Infer (no HTTP).
func inPipeline(m *serving.Manager, c canvas) (string, []float32, error) {
	out, err := inferLocal(m, "read-number", "image", c.x)
	if err != nil {
		return "", nil, err
	}
	number, scores := out["number"], out["digit_scores"]
	if number == nil || scores == nil {
		return "", nil, fmt.Errorf("read-number answered %v", out)
	}
	return tensor.Data[string](number)[0], tensor.Data[float32](scores), nil
}

// inferLocal runs x through the model's Version.Infer and returns its outputs
// by name.
func inferLocal(m *serving.Manager, name, input string, x *tensor.Tensor) (map[string]*tensor.Tensor, error) {
	v, err := m.Acquire(name, "", "")
	if err != nil {
		return nil, err
	}
	defer v.Release()
	res, err := v.Infer(context.Background(), &serving.Request{Inputs: map[string]*tensor.Tensor{input: x}})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*tensor.Tensor, len(res.Outputs))
	for _, o := range res.Outputs {
		out[o.Name] = o.Tensor
	}
	return out, nil
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

// readFunc reads a canvas's number and the score of each digit.
type readFunc func(canvas) (string, []float32, error)

// namedRead is a way of reading a canvas's number, named as a case of
// BenchmarkPipelineRatio.
type namedRead struct {
	name string
	read readFunc
}

// readNumberCases are the read-number cases of BenchmarkPipelineRatio
// (see readNumberReads), each reading the next sample canvas.
func readNumberCases(b *testing.B, in *servertest.Instance, hc *http.Client) []benchCase {
	cs := canvases(b)
	var next atomic.Uint64
	var cases []benchCase
	for _, r := range readNumberReads(b, in, hc, cs) {
		cases = append(cases, benchCase{r.name, func() {
			if _, _, err := r.read(cs[next.Add(1)%uint64(len(cs))]); err != nil {
				b.Fatal(err)
			}
		}})
	}
	return cases
}

// readNumberReads are the ways of reading a canvas that the benchmarks
// compare: the pipeline and the client's chain over v2 JSON, v2 binary
// and with the canvas as a PNG on the seed route (the client then sends
// the crops over v2 binary), and in process (Version.Infer: the pipeline,
// and its steps by hand); and the client's first call alone (the
// detector), from which BenchmarkPipelineRatio works out the cost of a
// pipeline with no cost of its own. It checks first that the pipeline and
// the client read every canvas of cs alike, number and scores, bit for
// bit.
func readNumberReads(b *testing.B, in *servertest.Instance, hc *http.Client, cs []canvas) []namedRead {
	detectOnly := func(detect func(canvas) (*tensor.Tensor, *tensor.Tensor, error)) readFunc {
		return func(c canvas) (string, []float32, error) { _, _, err := detect(c); return "", nil, err }
	}
	direct, byHand := func(c canvas) (string, []float32, error) { return inPipeline(in.Models, c) },
		func(c canvas) (string, []float32, error) { return inProcess(in.Models, c) }
	detector := func(c canvas) (string, []float32, error) {
		_, err := inferLocal(in.Models, "read-number-detector", "image", c.x)
		return "", nil, err
	}
	reads := []namedRead{{"read-number-inprocess", direct}, {"steps-by-hand-inprocess", byHand}, {"detector-inprocess", detector}}
	check := [][2]readFunc{{direct, byHand}}
	pre := detectorCodec(b)
	for _, proto := range []string{"json", "binary", "image"} {
		r := &reader{base: in.URL, hc: hc, binary: proto == "binary", pre: pre}
		pipe, chain, detect := r.pipeline, r.chain, r.detect
		if proto == "image" {
			pipe, chain, detect = r.pipelineImage, r.chainImage, r.detectImage
		}
		reads = append(reads, namedRead{"read-number-" + proto, pipe}, namedRead{"client-chain-" + proto, chain},
			namedRead{"detector-" + proto, detectOnly(detect)})
		check = append(check, [2]readFunc{pipe, chain})
	}
	for _, c := range cs {
		for _, pair := range check {
			agree(b, c, pair[0], pair[1])
		}
	}
	return reads
}

// agree fails b unless the pipeline and the client read c alike: the
// same number, and the same score for each digit, bit for bit.
func agree(b *testing.B, c canvas, pipe, chain readFunc) {
	p, ps, err1 := pipe(c)
	h, hs, err2 := chain(c)
	same := len(ps) == len(hs)
	for i := range ps {
		same = same && math.Float32bits(ps[i]) == math.Float32bits(hs[i])
	}
	if err1 != nil || err2 != nil || p != h || !same {
		b.Fatalf("%s: the pipeline reads %q %v (%v), the steps %q %v (%v)", c.name, p, ps, err1, h, hs, err2)
	}
}

// BenchmarkPipelineCost is the cost of read-number, and of the two-step
// chain and its slowest step alone (see chainReads), per request, one
// request at a time: the CPU time of the process (client and server)
// around each call of each way of reading a canvas (readNumberReads),
// the ways interleaved on the same canvas (every other canvas in the
// reverse order), so that all are measured under the same load. Beside
// each way's cpu-µs/op it reports, per protocol, what a pipeline with no
// cost of its own would cost (-free: the client's first call, then the
// rest of the steps in process), the pipeline's cost beyond it
// (-overhead), the client's cost beyond its first call (-second: its
// second request and the steps between), and the client's CPU over the
// pipeline's (-ratio) and over the free pipeline's (-ceiling).
func BenchmarkPipelineCost(b *testing.B) {
	dir := testutil.ExamplesCopy(b)
	writePipeline(b, dir, "chain", "platform: pipeline\n", chainSpec)
	in := servertest.Start(b, dir)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
	cs := canvases(b)
	cost := interleaved(b, cs, append(readNumberReads(b, in, hc, cs), chainReads(b, in, hc)...))
	b.ReportMetric(cost["cnn-alone"]/cost["chain"], "chain/cnn-ratio")
	b.ReportMetric(cost["cnn-alone-inprocess"]/cost["chain-inprocess"], "chain/cnn-inprocess-ratio")
	for _, proto := range []string{"json", "binary", "image"} {
		free := cost["detector-"+proto] - cost["detector-inprocess"] + cost["steps-by-hand-inprocess"]
		chain, pipe := cost["client-chain-"+proto], cost["read-number-"+proto]
		b.ReportMetric(free, proto+"-free-µs/op")
		b.ReportMetric(pipe-free, proto+"-overhead-µs/op")
		b.ReportMetric(chain-cost["detector-"+proto], proto+"-second-µs/op")
		b.ReportMetric(chain/pipe, proto+"-ratio")
		b.ReportMetric(chain/free, proto+"-ceiling")
	}
}

// chainReads are the two-step chain (digits, then argmax) and its slowest
// step alone (digits), over v2 JSON and in process, as reads that do not
// look at the canvas: one image of digitsBatch each.
func chainReads(b *testing.B, in *servertest.Instance, hc *http.Client) []namedRead {
	body := client.RESTBody{Data: v2Body(b), ContentType: "application/json"}
	x := digitsBatch(1)
	r := &reader{base: in.URL, hc: hc}
	var reads []namedRead
	for _, model := range []string{"digits", "chain"} {
		name := map[string]string{"digits": "cnn-alone", "chain": "chain"}[model]
		reads = append(reads,
			namedRead{name, func(canvas) (string, []float32, error) { _, err := r.post(model, body); return "", nil, err }},
			namedRead{name + "-inprocess", func(canvas) (string, []float32, error) {
				_, err := inferLocal(in.Models, model, "input", x)
				return "", nil, err
			}})
	}
	return reads
}

// interleaved runs every read on each canvas in turn (every other canvas
// in the reverse order), one at a time, and returns and reports the
// process CPU time (client and server) that each took per call, in µs.
func interleaved(b *testing.B, cs []canvas, reads []namedRead) map[string]float64 {
	spent := make([]time.Duration, len(reads))
	i := 0
	for b.Loop() {
		c := cs[i%len(cs)]
		for k := range reads {
			if i%2 == 1 {
				k = len(reads) - 1 - k
			}
			t0 := testutil.ProcessCPU()
			if _, _, err := reads[k].read(c); err != nil {
				b.Fatal(err)
			}
			spent[k] += testutil.ProcessCPU() - t0
		}
		i++
	}
	cost := map[string]float64{}
	for k, r := range reads {
		cost[r.name] = float64(spent[k].Nanoseconds()) / 1e3 / float64(b.N)
		b.ReportMetric(cost[r.name], r.name+"-cpu-µs/op")
	}
	return cost
}
