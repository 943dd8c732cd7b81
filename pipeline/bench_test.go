package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
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
// chain), the digits-ensemble pipeline with the same ensemble done by a
// client calling both models (ensemble vs client-ensemble, which makes
// two requests per operation), and the read-number pipeline with a client
// chaining its models (see readNumberCases); and the same in process.
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
	dir := testutil.ExamplesCopy(b)
	writePipeline(b, dir, "chain", "platform: pipeline\n", chainSpec)
	in := servertest.Start(b, dir)
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
	return append([]benchCase{
		{"cnn-alone", func() { post("digits") }},
		{"chain", func() { post("chain") }},
		{"ensemble", func() { post("digits-ensemble") }},
		{"client-ensemble", func() { clientEnsemble(b, post("digits"), post("digits-mlp")) }},
		{"cnn-alone-inprocess", func() { direct("digits") }},
		{"chain-inprocess", func() { direct("chain") }},
		{"mlp-alone-inprocess", func() { direct("digits-mlp") }},
		{"ensemble-inprocess", func() { direct("digits-ensemble") }},
	}, readNumberCases(b, in, hc)...)
}

// BenchmarkPipelineRatio measures cases of BenchmarkPipeline in turns of
// 250ms each at 64 requests in flight, ten rounds of every case one after
// the other (every other round in the reverse order), so that a machine
// shared with other work slows them alike. Each turn starts after a
// garbage collection.
// It reports for each case the median throughput and the median process
// CPU time per operation (client and server: they share the process), and
// the ratios:
//   - chain/cnn: the two-step chain against its slowest step alone, over
//     HTTP and in process (Version.Infer: the pipeline's own overhead);
//   - read-number/client: the read-number pipeline (detector, threshold,
//     crop, digits, argmax, join) against a client doing the same chain
//     over HTTP, calling the detector and then digits: over v2 JSON, over
//     the v2 binary extension, and with the canvas as a PNG on the seed
//     routes (the client decodes the PNG itself to crop it, and sends the
//     crops over v2 binary);
//   - read-number/by-hand-inprocess: the pipeline against its steps run
//     by hand, both through Version.Infer without HTTP.
//
// A ratio is the median of the rounds' ratios of throughput (-tput); the
// ratio of the median CPU times per operation (-cpu: the throughput ratio
// on a machine of our own, where the CPU is the limit at 64 in flight);
// and the median of the rounds' ratios of CPU time (-cpu-paired: each
// round's two cases ran one after the other, under the same load).
// Run it with -benchtime 1x.
func BenchmarkPipelineRatio(b *testing.B) {
	all := benchCases(b)
	names := []string{"cnn-alone", "chain", "cnn-alone-inprocess", "chain-inprocess",
		"read-number-inprocess", "steps-by-hand-inprocess", "detector-inprocess"}
	for _, proto := range []string{"json", "binary", "image"} {
		names = append(names, "read-number-"+proto, "client-chain-"+proto, "detector-"+proto)
	}
	cases := make([]benchCase, len(names))
	for i, n := range names {
		cases[i] = all[slices.IndexFunc(all, func(c benchCase) bool { return c.name == n })]
	}
	const rounds = 10
	for b.Loop() {
		tput := map[string][]float64{} // case → per round
		cpu := map[string][]float64{}
		for round := range rounds {
			for k := range cases {
				if round%2 == 1 { // every other round backwards: no case always follows the same one
					k = len(cases) - 1 - k
				}
				c := cases[k]
				ops, perOp := throughput(250*time.Millisecond, 64, c.op)
				tput[c.name], cpu[c.name] = append(tput[c.name], ops), append(cpu[c.name], perOp)
			}
		}
		for _, c := range cases {
			b.ReportMetric(testutil.Median(tput[c.name]), c.name+"-req/s")
			b.ReportMetric(testutil.Median(cpu[c.name]), c.name+"-cpu-µs/op")
		}
		ratios := [][3]string{{"chain/cnn", "chain", "cnn-alone"}, {"chain/cnn-inprocess", "chain-inprocess", "cnn-alone-inprocess"},
			{"read-number/by-hand-inprocess", "read-number-inprocess", "steps-by-hand-inprocess"}}
		for _, proto := range []string{"json", "binary", "image"} {
			ratios = append(ratios, [3]string{"read-number/client-" + proto, "read-number-" + proto, "client-chain-" + proto})
		}
		for _, r := range ratios {
			a, o := r[1], r[2]
			b.ReportMetric(medianRatio(tput[a], tput[o]), r[0]+"-tput")
			b.ReportMetric(testutil.Median(cpu[o])/testutil.Median(cpu[a]), r[0]+"-cpu")
			b.ReportMetric(medianRatio(cpu[o], cpu[a]), r[0]+"-cpu-paired")
		}
		reportCeilings(b, cpu)
	}
}

// reportCeilings reports, for each protocol, the CPU ratio that a
// read-number pipeline with no cost of its own would reach against the
// client's chain (-ceiling), and what the pipeline costs beyond such a
// pipeline (-overhead-µs/op). Such a pipeline makes the client's first
// call (the canvas to the detector, answered over HTTP) and then runs the
// rest of the steps in process: it costs detector-PROTO -
// detector-inprocess + steps-by-hand-inprocess. Its answer is smaller
// than the detector's (4 boxes and scores, not 16), so it would cost a
// little less: the ceiling is a little low.
func reportCeilings(b *testing.B, cpu map[string][]float64) {
	steps, det := testutil.Median(cpu["steps-by-hand-inprocess"]), testutil.Median(cpu["detector-inprocess"])
	for _, proto := range []string{"json", "binary", "image"} {
		free := testutil.Median(cpu["detector-"+proto]) - det + steps
		b.ReportMetric(testutil.Median(cpu["client-chain-"+proto])/free, "read-number/client-"+proto+"-ceiling")
		b.ReportMetric(testutil.Median(cpu["read-number-"+proto])-free, "read-number-"+proto+"-overhead-µs/op")
	}
}

// throughput runs op from conc goroutines for d and returns the
// operations per second and the process CPU time (user and system) per
// operation in µs.
func throughput(d time.Duration, conc int, op func()) (perSecond, cpuPerOp float64) {
	runtime.GC() // so that no case pays for collecting the garbage of the case before
	var n atomic.Int64
	cpu0, start := testutil.ProcessCPU(), time.Now()
	deadline := start.Add(d)
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
	ops := float64(max(1, n.Load()))
	return ops / time.Since(start).Seconds(), (testutil.ProcessCPU() - cpu0).Seconds() * 1e6 / ops
}

// medianRatio is the median of a[i]/b[i].
func medianRatio(a, b []float64) float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return testutil.Median(r)
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

// clientEnsemble is the client's half of the ensemble, the work the
// pipeline does after the models: decode both answers, average the
// softmax of the scores, and pick the best class and its label.
func clientEnsemble(b *testing.B, cnn, mlp []byte) string {
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
	for _, a := range answers {
		for i, p := range codec.Softmax(a.Outputs[0].Data) {
			mean[i] += p / 2
		}
	}
	best := 0
	for i, p := range mean {
		if p > mean[best] {
			best = i
		}
	}
	return strconv.Itoa(best) // digits' labels are the digits
}

// BenchmarkPipelineInProcess runs digits, the chain, digits-mlp and
// digits-ensemble through Version.Infer, without HTTP, 64 in flight: the
// pipelines' own overhead. cpu-µs/op is the process CPU time per request.
func BenchmarkPipelineInProcess(b *testing.B) {
	in := servertest.Start(b, repo(b, map[string]string{"chain": chainSpec}))
	x := digitsBatch(1)
	for _, model := range []string{"digits", "chain", "digits-mlp", "digits-ensemble"} {
		b.Run(model, func(b *testing.B) {
			cpu0 := testutil.ProcessCPU()
			defer func() {
				b.ReportMetric(float64((testutil.ProcessCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			}()
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

// BenchmarkPipelineSerial runs one request at a time through
// Version.Infer (run it with -cpu 1 -benchmem): the CPU time and the
// allocations a pipeline adds to its steps, without contention. The
// read-number cases read a sample canvas of four digits: its detector
// alone, digits on its four crops, and the whole pipeline.
func BenchmarkPipelineSerial(b *testing.B) {
	dir := testutil.ExamplesCopy(b)
	writePipeline(b, dir, "chain", "platform: pipeline\n", chainSpec)
	in := servertest.Start(b, dir)
	x := digitsBatch(1)
	c := canvases(b)[0] // 0498
	crops, err := pipeline.CropResize(c.x, tensor.MustFromSlice([]float32{0, 0, 16, 16, 16, 0, 32, 16, 32, 0, 48, 16, 48, 0, 64, 16}, 4, 4), 8, 8)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, model, input string
		x                  *tensor.Tensor
	}{
		{"digits", "digits", "input", x}, {"chain", "chain", "input", x},
		{"digits-mlp", "digits-mlp", "input", x}, {"digits-ensemble", "digits-ensemble", "input", x},
		{"detector", "read-number-detector", "image", c.x}, {"digits-4", "digits", "input", crops},
		{"read-number", "read-number", "image", c.x},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := runner.WithTiming(context.Background())
			cpu0 := testutil.ProcessCPU()
			defer func() {
				b.ReportMetric(float64((testutil.ProcessCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			}()
			for b.Loop() {
				v, err := in.Models.Acquire(bc.model, "", "")
				if err != nil {
					b.Fatal(err)
				}
				_, err = v.Infer(ctx, &serving.Request{Inputs: map[string]*tensor.Tensor{bc.input: bc.x}})
				v.Release()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
