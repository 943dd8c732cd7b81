package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// chainSpec is a two-step chain: the digits CNN, then the argmax of its
// scores (a built-in step).
const chainSpec = `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
steps:
  - {name: cnn, model: digits, inputs: {input: pipeline.inputs.input}}
  - {name: best, op: argmax, inputs: {x: cnn.outputs.logits}}
outputs:
  - {name: index, from: best.outputs.index}
  - {name: score, from: best.outputs.score}
`

// BenchmarkPipeline compares, over HTTP (v2 JSON) with 64 requests in
// flight, a two-step pipeline with its slowest step alone (cnn-alone vs
// chain), and the digits-ensemble pipeline with the same ensemble done by
// a client calling both models (ensemble vs client-ensemble, which makes
// two requests per operation).
func BenchmarkPipeline(b *testing.B) {
	in := servertest.Start(b, repo(b, map[string]string{"chain": chainSpec}))
	body := v2Body(b)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
	post := func(model string) []byte {
		res, err := hc.Post(in.URL+"/v2/models/"+model+"/infer", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d %s %v", model, res.StatusCode, out, err)
		}
		return out
	}
	for _, bc := range []struct {
		name string
		op   func()
	}{
		{"cnn-alone", func() { post("digits") }},
		{"chain", func() { post("chain") }},
		{"ensemble", func() { post("digits-ensemble") }},
		{"client-ensemble", func() { clientEnsemble(b, post("digits"), post("digits-mlp")) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bc.op()
				}
			})
		})
	}
}

// v2Body is a v2 JSON request of one 8x8 image.
func v2Body(b *testing.B) []byte {
	x := digitsBatch(1)
	var sb strings.Builder
	sb.WriteString(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,1,8,8],"data":[`)
	for i, v := range x.Data().([]float32) {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprint(&sb, v)
	}
	sb.WriteString(`]}]}`)
	return []byte(sb.String())
}

// clientEnsemble is the client's half of the ensemble: decode both
// answers and average the scores.
func clientEnsemble(b *testing.B, cnn, mlp []byte) {
	var answers [2]struct {
		Outputs []struct {
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	for i, body := range [][]byte{cnn, mlp} {
		if err := json.Unmarshal(body, &answers[i]); err != nil || len(answers[i].Outputs) != 1 {
			b.Fatalf("answer %s: %v", body, err)
		}
	}
	mean := make([]float64, len(answers[0].Outputs[0].Data))
	for i := range mean {
		mean[i] = (answers[0].Outputs[0].Data[i] + answers[1].Outputs[0].Data[i]) / 2
	}
}

// BenchmarkPipelineInProcess is BenchmarkPipeline's cnn-alone and chain
// through Version.Infer, without HTTP: the pipeline's own overhead.
func BenchmarkPipelineInProcess(b *testing.B) {
	in := servertest.Start(b, repo(b, map[string]string{"chain": chainSpec}))
	x := digitsBatch(1)
	for _, model := range []string{"digits", "chain"} {
		b.Run(model, func(b *testing.B) {
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v, err := in.Models.Acquire(model, "", "")
					if err != nil {
						b.Fatal(err)
					}
					_, err = v.Infer(context.Background(), &serving.Request{Inputs: map[string]*tensor.Tensor{"input": x}})
					v.Release()
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
