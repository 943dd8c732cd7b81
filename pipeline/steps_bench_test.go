package pipeline_test

import (
	"net/http"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// Parts of read-number as pipelines of their own, for
// BenchmarkPipelineSteps: the detector alone; the chain up to the
// classifier (detect, threshold, crop, digits); and its tail alone
// (softmax, argmax, labels, join) on logits.
const (
	detectSpec = `
inputs:
  - {name: image, datatype: FP32, shape: [1, 1, 16, 64]}
steps:
  - {name: detect, model: read-number-detector, version: production, inputs: {image: pipeline.inputs.image}}
outputs:
  - {name: scores, from: detect.outputs.scores}
  - {name: boxes, from: detect.outputs.boxes}
`
	toLogitsSpec = `
inputs:
  - {name: image, datatype: FP32, shape: [1, 1, 16, 64]}
steps:
  - {name: detect, model: read-number-detector, version: production, inputs: {image: pipeline.inputs.image}}
  - {name: keep, op: threshold, args: {min: 0.5}, inputs: {scores: detect.outputs.scores, boxes: detect.outputs.boxes}}
  - {name: crop, op: crop_resize, args: {width: 8, height: 8}, inputs: {images: pipeline.inputs.image, boxes: keep.outputs.boxes}}
  - {name: read, model: digits, version: production, inputs: {input: crop.outputs.crops}}
outputs:
  - {name: logits, from: read.outputs.logits}
`
	tailSpec = `
inputs:
  - {name: logits, datatype: FP32, shape: [-1, 10]}
steps:
  - {name: probs, op: softmax, inputs: {x: pipeline.inputs.logits}}
  - {name: best, op: argmax, inputs: {x: probs.outputs.y}}
  - {name: label, op: labels, args: {model: digits}, inputs: {index: best.outputs.index}}
  - {name: number, op: join, inputs: {x: label.outputs.label}}
outputs:
  - {name: number, from: number.outputs.output}
  - {name: digit_scores, from: best.outputs.score}
`
)

// BenchmarkPipelineSteps splits read-number's cost beyond its steps run
// by hand (see BenchmarkPipelineCost), one request at a time,
// interleaved: a pipeline of the detector alone against the detector
// (in process and over v2 JSON: what serving a pipeline adds), the chain
// up to the classifier against the same steps by hand (model steps and
// the crop), and the tail of built-in steps against the client's own loop
// (readDigits) on the logits of three digits.
func BenchmarkPipelineSteps(b *testing.B) {
	dir := testutil.ExamplesCopy(b)
	for name, spec := range map[string]string{"detect": detectSpec, "to-logits": toLogitsSpec, "tail": tailSpec} {
		writePipeline(b, dir, name, "platform: pipeline\n", spec)
	}
	in := servertest.Start(b, dir)
	r := &reader{base: in.URL, hc: &http.Client{}}
	logits := tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 3, 2, 1, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3, 10)
	model := func(name, input string, x func(canvas) *tensor.Tensor) readFunc {
		return func(c canvas) (string, []float32, error) {
			_, err := inferLocal(in.Models, name, input, x(c))
			return "", nil, err
		}
	}
	post := func(name string) readFunc {
		return func(c canvas) (string, []float32, error) { _, err := r.post(name, c.json); return "", nil, err }
	}
	canvasX := func(c canvas) *tensor.Tensor { return c.x }
	cost := interleaved(b, canvases(b), []namedRead{
		{"detector-inprocess", model("read-number-detector", "image", canvasX)},
		{"detect-pipeline-inprocess", model("detect", "image", canvasX)},
		{"detector-json", post("read-number-detector")},
		{"detect-pipeline-json", post("detect")},
		{"to-logits-by-hand-inprocess", func(c canvas) (string, []float32, error) {
			det, err := inferLocal(in.Models, "read-number-detector", "image", c.x)
			if err != nil {
				return "", nil, err
			}
			crops, err := cropKept(c.x, det["scores"], det["boxes"])
			if crops == nil || err != nil {
				return "", nil, err
			}
			_, err = inferLocal(in.Models, "digits", "input", crops)
			return "", nil, err
		}},
		{"to-logits-pipeline-inprocess", model("to-logits", "image", canvasX)},
		{"tail-by-hand", func(canvas) (string, []float32, error) { return readDigits(logits) }},
		{"tail-pipeline-inprocess", model("tail", "logits", func(canvas) *tensor.Tensor { return logits })},
	})
	b.ReportMetric(cost["detect-pipeline-inprocess"]-cost["detector-inprocess"], "detect-inprocess-extra-µs/op")
	b.ReportMetric(cost["detect-pipeline-json"]-cost["detector-json"], "detect-json-extra-µs/op")
	b.ReportMetric(cost["to-logits-pipeline-inprocess"]-cost["to-logits-by-hand-inprocess"], "to-logits-extra-µs/op")
	b.ReportMetric(cost["tail-pipeline-inprocess"]-cost["tail-by-hand"], "tail-extra-µs/op")
}
