package pipeline_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// topOfEnsemble is a pipeline whose first step runs the digits-ensemble
// pipeline, then takes its three best classes.
const topOfEnsemble = `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
steps:
  - {name: ens, model: digits-ensemble, inputs: {input: pipeline.inputs.input}}
  - {name: top, op: topk, args: {k: 3}, inputs: {x: ens.outputs.probs}}
outputs:
  - {name: probs, from: ens.outputs.probs}
  - {name: classes, from: top.outputs.indices}
`

// calls is a pipeline whose one step runs the named pipeline.
func calls(name string) string {
	return imageInput + "steps:\n  - {name: run, model: " + name + ", inputs: {input: pipeline.inputs.input}}\noutputs: [{name: y, from: run.outputs.y}]\n"
}

// TestNestedPipelines: a step may run another pipeline (built first
// whatever the names' order: "a-top" runs "digits-ensemble", and
// "a-deeper" runs "a-top"), and its answer is the inner pipeline's, over
// HTTP and gRPC. Pipelines that run each other in a cycle are FAILED with
// the cycle named, and the others keep serving.
func TestNestedPipelines(t *testing.T) {
	in := servertest.Start(t, repo(t, map[string]string{
		"a-top":    topOfEnsemble,
		"a-deeper": "inputs:\n  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}\nsteps:\n  - {name: inner, model: a-top, inputs: {input: pipeline.inputs.input}}\noutputs: [{name: classes, from: inner.outputs.classes}]\n",
		"loop-a":   calls("loop-b"),
		"loop-b":   calls("loop-a"),
		"self":     calls("self"),
	}))
	ctx := context.Background()
	x := client.Input{Name: "input", Tensor: digitsBatch(2)}
	for proto, c := range clients(t, in) {
		ens, err := infer(ctx, c, "digits-ensemble", x)
		if err != nil {
			t.Fatal(err)
		}
		top, err := infer(ctx, c, "a-top", x)
		if err != nil {
			t.Fatalf("%s: a-top: %v", proto, err)
		}
		deeper, err := infer(ctx, c, "a-deeper", x)
		if err != nil {
			t.Fatalf("%s: a-deeper: %v", proto, err)
		}
		if !equalTensors(top.Output("probs"), ens.Output("probs")) {
			t.Errorf("%s: a-top's probs %v differ from digits-ensemble's %v", proto, top.Output("probs"), ens.Output("probs"))
		}
		best := tensor.Data[int64](top.Output("classes"))
		if got := tensor.Data[int64](deeper.Output("classes")); !equalTensors(deeper.Output("classes"), top.Output("classes")) || len(best) != 6 {
			t.Errorf("%s: a-deeper's classes %v, a-top's %v", proto, got, best)
		}
	}
	// Each names the cycle from the pipeline its step runs.
	for name, cycle := range map[string]string{"loop-a": "loop-b → loop-a → loop-b", "loop-b": "loop-a → loop-b → loop-a", "self": "self → self"} {
		body := get(t, in.URL+"/models/"+name)
		if !strings.Contains(body, `"state":"FAILED"`) || !strings.Contains(body, cycle) {
			t.Errorf("GET /models/%s = %s\nwant FAILED naming the cycle %s", name, body, cycle)
		}
	}
	for _, name := range []string{"digits-ensemble", "a-top", "a-deeper"} {
		if v, err := in.Models.Resolve(name, ""); err != nil || v.State() != serving.StateAvailable {
			t.Errorf("%s: %v, want AVAILABLE", name, err)
		}
	}
}

// TestNestedCycleOnReload: a new version that would close a cycle
// (a-top version 2 runs a-deeper, which runs a-top) is FAILED with the
// cycle named, while version 1 and a-deeper keep serving.
func TestNestedCycleOnReload(t *testing.T) {
	dir := repo(t, map[string]string{
		"a-deeper": "inputs:\n  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}\nsteps:\n  - {name: inner, model: a-top, version: \"1\", inputs: {input: pipeline.inputs.input}}\noutputs: [{name: classes, from: inner.outputs.classes}]\n",
	})
	writePipeline(t, dir, "a-top", "platform: pipeline\nversion_policy: all\n", topOfEnsemble)
	in := servertest.StartConfig(t, app.Config{RepositoryDir: dir, Serving: []serving.Option{serving.WithSettle(0)}})
	if err := os.MkdirAll(filepath.Join(dir, "a-top", "2"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "a-top", "2", "pipeline.yaml"), imageInput+"steps:\n  - {name: back, model: a-deeper, inputs: {input: pipeline.inputs.input}}\noutputs: [{name: classes, from: back.outputs.classes}]\n")
	ctx := context.Background()
	if err := in.Models.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	body := get(t, in.URL+"/models/a-top")
	if !strings.Contains(body, `"state":"FAILED"`) || !strings.Contains(body, jsonString(`step "back": pipeline "a-top" runs pipeline "a-deeper", which runs it back`)) {
		t.Errorf("GET /models/a-top = %s\nwant version 2 FAILED naming the cycle", body)
	}
	for proto, c := range clients(t, in) {
		for _, name := range []string{"a-top", "a-deeper"} {
			res, err := c.Infer(ctx, &client.InferRequest{Model: name, Version: "1", Inputs: []client.Input{{Name: "input", Tensor: digitsBatch(1)}}})
			if err != nil || res.Output("classes") == nil {
				t.Errorf("%s: %s version 1: %v, want it serving", proto, name, err)
			}
		}
	}
}

func equalTensors(a, b *tensor.Tensor) bool {
	return a != nil && b != nil && a.String() == b.String() && tensorsData(a) == tensorsData(b)
}

func tensorsData(t *tensor.Tensor) string {
	return strings.TrimSpace(string(tensor.AppendJSON(nil, t)))
}

// TestNestedStepTiming: the timing header names the steps of a pipeline
// that a step runs after that step (outer/inner), so that they cannot
// collide with the outer pipeline's own: here both have steps cnn and
// best.
func TestNestedStepTiming(t *testing.T) {
	in := servertest.Start(t, repo(t, map[string]string{"outer": imageInput + `steps:
  - {name: cnn, model: digits-ensemble, inputs: {input: pipeline.inputs.input}}
  - {name: best, op: argmax, inputs: {x: cnn.outputs.probs}}
outputs: [{name: index, from: best.outputs.index}]
`}))
	body := `{"inputs": {"input": ` + string(tensor.AppendJSON(nil, digitsBatch(1))) + `}}`
	res, err := http.Post(in.URL+"/models/outer", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	timing, err := runner.ParseTiming(res.Header.Get("Inferd-Timing"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%d, timing: %v", res.StatusCode, err)
	}
	var steps []string
	for _, s := range timing.Steps {
		steps = append(steps, s.Name)
	}
	slices.Sort(steps)
	want := []string{"best", "cnn", "cnn/best", "cnn/cnn", "cnn/label", "cnn/mean", "cnn/mlp"}
	if !slices.Equal(steps, want) {
		t.Errorf("timing %q names steps %v, want %v", res.Header.Get("Inferd-Timing"), steps, want)
	}
}

// TestRebuildOnlyDependents: a change rebuilds only the pipeline versions
// whose files name what changed, directly or through other pipelines.
// Here digits-ensemble (digits, digits-mlp) and cnn-only (digits) run
// models; ens-top runs digits-ensemble and cnn-top runs cnn-only. When
// digits-ensemble's file changes, ens-top is built again but cnn-top,
// though it comes after digits-ensemble, keeps its version; when
// digits-mlp's labels change, digits-ensemble and ens-top are built
// again, cnn-only and cnn-top are not.
func TestRebuildOnlyDependents(t *testing.T) {
	dir := repo(t, map[string]string{
		"cnn-only": cnnOnly(""),
		"ens-top":  topOfEnsemble,
		"cnn-top":  imageInput + "steps:\n  - {name: run, model: cnn-only, inputs: {input: pipeline.inputs.input}}\noutputs: [{name: logits, from: run.outputs.logits}]\n",
	})
	in := servertest.StartConfig(t, app.Config{RepositoryDir: dir, Serving: []serving.Option{serving.WithSettle(0)}})
	names := []string{"digits-ensemble", "cnn-only", "ens-top", "cnn-top"}
	versions := func() map[string]*serving.Version {
		vs := map[string]*serving.Version{}
		for _, name := range names {
			v, err := in.Models.Resolve(name, "1")
			if err != nil || v.State() != serving.StateAvailable {
				t.Fatalf("%s: %v, want AVAILABLE", name, err)
			}
			vs[name] = v
		}
		return vs
	}
	ctx := context.Background()
	for _, change := range []struct {
		file, text string
		rebuilt    []string
	}{
		{"digits-ensemble/1/pipeline.yaml", "# changed\n", []string{"digits-ensemble", "ens-top"}},
		{"digits-mlp/config.yaml", "  canary: 1\n", []string{"digits-ensemble", "ens-top"}},
	} {
		before := versions()
		f, err := os.OpenFile(filepath.Join(dir, change.file), os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(change.text)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Models.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		after := versions()
		for _, name := range names {
			if rebuilt := after[name] != before[name]; rebuilt != slices.Contains(change.rebuilt, name) {
				t.Errorf("after %s changed: %s built again: %v, want %v", change.file, name, rebuilt, !rebuilt)
			}
		}
	}
	for proto, c := range clients(t, in) {
		for _, name := range names {
			if _, err := infer(ctx, c, name, client.Input{Name: "input", Tensor: digitsBatch(1)}); err != nil {
				t.Errorf("%s: %s: %v", proto, name, err)
			}
		}
	}
}
