package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
)

const imageInput = `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
`

// cnnStep is a model step on digits fed from the pipeline's input.
const cnnStep = `
  - name: cnn
    model: digits
    inputs: {input: pipeline.inputs.input}
`

// TestLoadErrors: every load-time error makes the pipeline version FAILED
// with a message naming the step and the tensor, visible over HTTP;
// requests to it fail over HTTP and gRPC; the models and the good
// pipeline keep serving.
func TestLoadErrors(t *testing.T) {
	cases := []struct{ name, spec, want string }{
		{"unknown-model", imageInput + "steps:\n  - {name: cnn, model: nope, inputs: {input: pipeline.inputs.input}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": model "nope": not found`},
		{"unknown-step", imageInput + "steps:\n  - {name: cnn, model: digits, inputs: {input: ghost.outputs.x}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": input input: ghost.outputs.x names step "ghost", which does not exist`},
		{"unknown-output", imageInput + "steps:" + cnnStep + "outputs: [{name: y, from: cnn.outputs.nope}]",
			`output "y": cnn.outputs.nope: step "cnn" has no output "nope" (it has logits)`},
		{"unknown-input", imageInput + "steps:\n  - {name: cnn, model: digits, inputs: {input: pipeline.inputs.img}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": input "input": pipeline.inputs.img: the pipeline has no input "img" (it has input)`},
		{"unknown-model-input", imageInput + "steps:\n  - {name: cnn, model: digits, inputs: {input: pipeline.inputs.input, extra: pipeline.inputs.input, bonus: pipeline.inputs.input}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": input "bonus": model "digits" has no input "bonus" (it has input)`},
		{"unwired", imageInput + "steps:\n  - {name: cnn, model: digits, inputs: {}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": input "input" of model "digits" is not wired`},
		{"dtype", "inputs: [{name: input, datatype: INT64, shape: [-1, 1, 8, 8]}]\nsteps:" + cnnStep + "outputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": input "input": input is fed INT64 but takes FP32`},
		{"shape", "inputs: [{name: input, datatype: FP32, shape: [-1, 1, 4, 4]}]\nsteps:" + cnnStep + "outputs: [{name: y, from: cnn.outputs.logits}]",
			`step "cnn": input "input": input is fed shape [-1 1 4 4] but takes [-1 1 8 8]`},
		{"op-shape", imageInput + "steps:\n  - {name: best, op: argmax, inputs: {x: pipeline.inputs.input}}\noutputs: [{name: y, from: best.outputs.index}]",
			`step "best": op argmax: input "x" has shape [-1 1 8 8]; want rank 2`},
		{"cycle", imageInput + "steps:" + cnnStep + "  - {name: a, op: argmax, inputs: {x: b.outputs.score}}\n  - {name: b, op: argmax, inputs: {x: a.outputs.score}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`steps a, b depend on each other in a cycle`},
		{"unknown-op", imageInput + "steps:\n  - {name: blur, op: blur, inputs: {x: pipeline.inputs.input}}\noutputs: [{name: y, from: blur.outputs.x}]",
			`step "blur": op "blur" is not a built-in step`},
		{"unknown-key", imageInput + "steps:\n  - {name: cnn, model: digits, input: {input: pipeline.inputs.input}}\noutputs: [{name: y, from: cnn.outputs.logits}]",
			`field input not found`},
		{"bad-args", imageInput + "steps:" + cnnStep + "  - {name: top, op: topk, args: {k: 11}, inputs: {x: cnn.outputs.logits}}\noutputs: [{name: y, from: top.outputs.indices}]",
			`step "top": op topk: args.k: 11 is more than the 10 classes of input "x"`},
	}
	pipes := map[string]string{}
	for _, c := range cases {
		pipes[c.name] = c.spec
	}
	in := servertest.Start(t, repo(t, pipes))
	ctx := context.Background()
	cs := clients(t, in)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := get(t, in.URL+"/models/"+c.name)
			if !strings.Contains(body, `"state":"FAILED"`) || !strings.Contains(body, jsonString(c.want)) {
				t.Fatalf("GET /models/%s = %s\nwant FAILED with %q", c.name, body, c.want)
			}
			for proto, cl := range cs {
				_, err := infer(ctx, cl, c.name, client.Input{Name: "input", Tensor: digitsBatch(1)})
				var ce *client.Error
				if !errors.As(err, &ce) || (ce.HTTPStatus != http.StatusServiceUnavailable && ce.Code != codes.Unavailable) {
					t.Errorf("%s: infer = %v, want unavailable", proto, err)
				}
			}
		})
	}
	for _, name := range []string{"digits", "digits-mlp", "digits-ensemble"} {
		if v, err := in.Models.Resolve(name, ""); err != nil || v.State() != serving.StateAvailable {
			t.Errorf("%s: %v, want AVAILABLE", name, err)
		}
	}
}

// jsonString is s as it appears inside a JSON string.
func jsonString(s string) string {
	q := fmt.Sprintf("%q", s)
	return q[1 : len(q)-1]
}
