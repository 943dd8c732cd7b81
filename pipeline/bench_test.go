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
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	for _, bc := range benchCases(b) {
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

type benchCase struct {
	name string
	op   func()
}

// benchCases starts a server with the chain pipeline and returns the
// operations BenchmarkPipeline compares: one v2 JSON request each, or two
// for client-ensemble.
func benchCases(b *testing.B) []benchCase {
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
	x := digitsBatch(1)
	direct := func(model string) {
		v, err := in.Models.Acquire(model, "", "")
		if err != nil {
			b.Fatal(err)
		}
		defer v.Release()
		if _, err := v.Infer(context.Background(), &serving.Request{Inputs: map[string]*tensor.Tensor{"input": x}}); err != nil {
			b.Fatal(err)
		}
	}
	return []benchCase{
		{"cnn-alone", func() { post("digits") }},
		{"chain", func() { post("chain") }},
		{"ensemble", func() { post("digits-ensemble") }},
		{"client-ensemble", func() { clientEnsemble(b, post("digits"), post("digits-mlp")) }},
		{"cnn-alone-inprocess", func() { direct("digits") }},
		{"chain-inprocess", func() { direct("chain") }},
	}
}

// BenchmarkPipelineRatio measures BenchmarkPipeline's cases in turns of
// 300ms each at 64 requests in flight, eight rounds, so that a machine
// shared with other work slows them alike, and reports the throughput
// ratios: chain/cnn-alone over HTTP and in process (Version.Infer, the
// pipeline's own overhead), and ensemble/client-ensemble (against
// chaining in the client). Run it with -benchtime 1x.
func BenchmarkPipelineRatio(b *testing.B) {
	cases := benchCases(b)
	const rounds = 8
	for b.Loop() {
		ops := make([]float64, len(cases))
		for range rounds {
			for i, c := range cases {
				ops[i] += throughput(300*time.Millisecond, 64, c.op)
			}
		}
		for i, c := range cases {
			b.ReportMetric(ops[i]/rounds, c.name+"-req/s")
		}
		b.ReportMetric(ops[1]/ops[0], "chain/cnn")
		b.ReportMetric(ops[5]/ops[4], "chain/cnn-inprocess")
		b.ReportMetric(ops[2]/ops[3], "ensemble/client")
	}
}

// throughput runs op from conc goroutines for d and returns the
// operations per second.
func throughput(d time.Duration, conc int, op func()) float64 {
	var n atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				op()
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
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
