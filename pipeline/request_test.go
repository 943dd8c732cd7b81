package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// pick gathers rows of the images by index before the CNN: an index out
// of range fails the pick step mid-request.
const pickSpec = `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
  - {name: rows, datatype: INT64, shape: [-1]}
steps:
  - {name: pick, op: gather, inputs: {x: pipeline.inputs.input, indices: pipeline.inputs.rows}}
  - {name: cnn, model: digits, inputs: {input: pick.outputs.output}}
  - {name: mlp, model: digits-mlp, inputs: {input: pipeline.inputs.input}}
outputs:
  - {name: picked, from: cnn.outputs.logits}
  - {name: all, from: mlp.outputs.logits}
`

// TestStepFailsMidRequest: a hard step that fails answers with the step's
// name and error and the status of the one error mapper (400 here, an
// invalid input), over HTTP and gRPC; as a soft step, its outputs are
// left out and the request answers, its timing marked missing.
func TestStepFailsMidRequest(t *testing.T) {
	soft := strings.Replace(pickSpec, "{name: pick,", "{name: pick, soft: true,", 1)
	in := servertest.Start(t, repo(t, map[string]string{"pick": pickSpec, "pick-soft": soft}))
	ctx := context.Background()
	rows := func(r ...int64) client.Input {
		return client.Input{Name: "rows", Tensor: tensor.MustFromSlice(r, len(r))}
	}
	images := client.Input{Name: "input", Tensor: digitsBatch(2)}
	for proto, c := range clients(t, in) {
		t.Run(proto, func(t *testing.T) {
			res, err := infer(ctx, c, "pick", images, rows(1, 0, 1))
			if err != nil || res.Output("picked").Shape()[0] != 3 {
				t.Fatalf("good rows: %v, %v", res, err)
			}
			_, err = infer(ctx, c, "pick", images, rows(1, 7))
			var ce *client.Error
			if !errors.As(err, &ce) || (ce.HTTPStatus != http.StatusBadRequest && ce.Code != codes.InvalidArgument) ||
				!strings.Contains(ce.Message, `pipeline "pick" step "pick"`) || !strings.Contains(ce.Message, "row 7 is out of range (2 rows)") {
				t.Fatalf("bad rows: %v, want 400 naming step pick and row 7", err)
			}
			res, err = infer(ctx, c, "pick-soft", images, rows(7))
			if err != nil {
				t.Fatalf("soft: %v", err)
			}
			if res.Output("picked") != nil || res.Output("all") == nil {
				t.Fatalf("soft: outputs %v, want only all", res.Outputs)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/v2/models/pick-soft/infer", strings.NewReader(
		`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,1,8,8],"data":[`+strings.Repeat("0,", 63)+`0]},{"name":"rows","datatype":"INT64","shape":[1],"data":[3]}],
		  "outputs":[{"name":"picked"}]}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("asking for a missing output: %d, want 503", res.StatusCode)
	}
	if h := res.Header.Get("Inferd-Timing"); !strings.Contains(h, "step.pick=missing") || !strings.Contains(h, "step.cnn=missing") {
		t.Errorf("timing %q, want pick and cnn missing", h)
	}
	metrics := get(t, in.URL+"/metrics")
	for _, want := range []string{ // one failure per protocol, and the soft ones; skipped steps are not errors
		`inferd_pipeline_step_errors_total{pipeline="pick",step="pick",version="1"} 2`,
		`inferd_pipeline_step_errors_total{pipeline="pick-soft",step="pick",version="1"} 3`,
		`inferd_pipeline_step_errors_total{pipeline="pick-soft",step="cnn",version="1"} 0`,
		`inferd_pipeline_step_seconds_count{pipeline="pick",step="cnn",version="1"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics have no %s", want)
		}
	}
}

// switchSpec runs the CNN when the MLP's top probability is below 0.9,
// and answers with the CNN's scores then, else the MLP's: a switch.
const switchSpec = `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
steps:
  - {name: mlp, model: digits-mlp, inputs: {input: pipeline.inputs.input}}
  - {name: sure, op: ensemble, args: {mode: mean, softmax: true}, inputs: {a: mlp.outputs.logits, b: mlp.outputs.logits}}
  - {name: top, op: argmax, inputs: {x: sure.outputs.output}}
  - name: cnn
    model: digits
    inputs: {input: pipeline.inputs.input}
    when: {tensor: top.outputs.score, op: lt, value: 0.9}
  - name: mlp_only
    op: first
    inputs: {x: mlp.outputs.logits}
    when: {tensor: top.outputs.score, op: ge, value: 0.9, all: true}
  - {name: answer, op: first, inputs: {a: cnn.outputs.logits, b: mlp_only.outputs.output}}
outputs:
  - {name: logits, from: answer.outputs.output}
  - {name: confidence, from: top.outputs.score}
`

// TestSwitch: a condition on a tensor picks the branch that runs.
func TestSwitch(t *testing.T) {
	in := servertest.Start(t, repo(t, map[string]string{"switch": switchSpec}))
	ctx := context.Background()
	c := clients(t, in)["http"]
	direct := func(model string, x *tensor.Tensor) []float32 {
		res, err := infer(ctx, c, model, client.Input{Name: "input", Tensor: x})
		if err != nil {
			t.Fatal(err)
		}
		return tensor.Data[float32](res.Output("logits"))
	}
	batch := digitsBatch(6)
	rows, err := tensor.Split(batch, []int{1, 1, 1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	branches := map[bool]int{}
	for i, x := range append(rows, tensor.New(tensor.Float32, 1, 1, 8, 8)) {
		res, err := infer(ctx, c, "switch", client.Input{Name: "input", Tensor: x})
		if err != nil {
			t.Fatal(err)
		}
		conf := tensor.Data[float32](res.Output("confidence"))[0]
		want := direct("digits-mlp", x)
		if conf < 0.9 {
			want = direct("digits", x)
		}
		branches[conf < 0.9]++
		if !equalFloats(tensor.Data[float32](res.Output("logits")), want) {
			t.Errorf("image %d (confidence %v): logits are not the chosen branch's", i, conf)
		}
	}
	if branches[true] == 0 || branches[false] == 0 {
		t.Errorf("branches taken (cnn: true): %v; the images should take both", branches)
	}
}

// TestStepTimeout: a step over its timeout fails the request with the
// step named, as a timeout (504 over HTTP, DeadlineExceeded over gRPC).
func TestStepTimeout(t *testing.T) {
	spec := strings.Replace(cnnOnly(""), `inputs: {input: pipeline.inputs.input}}`, `timeout: 1ns, inputs: {input: pipeline.inputs.input}}`, 1)
	in := servertest.Start(t, repo(t, map[string]string{"hasty": spec}))
	for proto, c := range clients(t, in) {
		_, err := infer(context.Background(), c, "hasty", client.Input{Name: "input", Tensor: digitsBatch(1)})
		var ce *client.Error
		if !errors.As(err, &ce) || (ce.HTTPStatus != http.StatusGatewayTimeout && ce.Code != codes.DeadlineExceeded) ||
			!strings.Contains(ce.Message, `pipeline "hasty" step "cnn": timed out after 1ns`) {
			t.Errorf("%s: %v, want a timeout naming step cnn", proto, err)
		}
	}
}

// TestConcurrentRequests: requests run together and one after another on
// the same pipelines give each the answer it gets alone, whichever steps
// its input skips (switch), fails softly or fails hard (pick): a run
// reuses the state of earlier ones (see request) and hands branches to
// helpers, and nothing of one request may show in another.
func TestConcurrentRequests(t *testing.T) {
	soft := strings.Replace(pickSpec, "{name: pick,", "{name: pick, soft: true,", 1)
	in := servertest.Start(t, repo(t, map[string]string{"switch": switchSpec, "pick": pickSpec, "pick-soft": soft}))
	rows, err := tensor.Split(digitsBatch(6), []int{1, 1, 1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		model  string
		inputs map[string]*tensor.Tensor
	}
	var calls []call
	for i, x := range append(rows, tensor.New(tensor.Float32, 1, 1, 8, 8)) {
		calls = append(calls, call{"switch", map[string]*tensor.Tensor{"input": x}})
		pick := map[string]*tensor.Tensor{"input": digitsBatch(2), "rows": tensor.MustFromSlice([]int64{int64(i % 3)}, 1)}
		calls = append(calls, call{"pick", pick}, call{"pick-soft", pick}) // row 2 is out of range
	}
	run := func(c call) string {
		v, err := in.Models.Acquire(c.model, "", "")
		if err != nil {
			t.Error(err)
			return ""
		}
		defer v.Release()
		res, err := v.Infer(context.Background(), &serving.Request{Inputs: c.inputs})
		if err != nil {
			return "error: " + err.Error()
		}
		var b strings.Builder
		for _, o := range res.Outputs {
			fmt.Fprintf(&b, "%s=%v;", o.Name, o.Tensor.Data())
		}
		return b.String()
	}
	want := make([]string, len(calls))
	for i, c := range calls {
		want[i] = run(c)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range 40 {
				i := (g*7 + k*5) % len(calls)
				if got := run(calls[i]); got != want[i] {
					t.Errorf("%s, input %d: %s; alone: %s", calls[i].model, i, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}
