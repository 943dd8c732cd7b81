package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// mlpOnly runs digits-mlp, with the output named as cnnOnly's.
const mlpOnly = `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
steps:
  - {name: mlp, model: digits-mlp, inputs: {input: pipeline.inputs.input}}
outputs:
  - {name: logits, from: mlp.outputs.logits}
`

// TestPipelineVersions: a pipeline's versions behave as a model's. A new
// pipeline.yaml version loads beside the one serving and takes the
// unversioned route; labels and a traffic split pick versions over HTTP
// and gRPC; a shadow version compares its answers; a version removed from the repository stops taking requests
// at once, while a request holding it finishes on it (it drains), and is
// unloaded after; its step metric series are dropped.
func TestPipelineVersions(t *testing.T) {
	dir := repo(t, nil)
	p := filepath.Join(dir, "p")
	writePipeline(t, dir, "p", "platform: pipeline\nversion_policy: all\n", cnnOnly(""))
	in := servertest.StartConfig(t, app.Config{RepositoryDir: dir, Serving: []serving.Option{serving.WithSettle(0)}})
	ctx := context.Background()
	x := client.Input{Name: "input", Tensor: digitsBatch(1)}
	cs := clients(t, in)
	logits := func(c *client.Client, model, version string) string { return answer(t, c, model, version, x) }
	cnn, mlp := logits(cs["http"], "digits", ""), logits(cs["http"], "digits-mlp", "")
	if cnn == mlp {
		t.Fatal("the two models answer alike; the test cannot tell the versions apart")
	}
	held, err := in.Models.Acquire("p", "1", "")
	if err != nil {
		t.Fatal(err)
	}

	if err := os.MkdirAll(filepath.Join(p, "2"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(p, "2", "pipeline.yaml"), mlpOnly)
	write(t, filepath.Join(p, "config.yaml"), "platform: pipeline\nversion_policy: all\nversion_labels: {stable: 1, canary: 2}\nshadow: {version: 2}\n")
	if err := in.Models.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for proto, c := range cs {
		for version, want := range map[string]string{"": mlp, "1": cnn, "2": mlp, "stable": cnn, "canary": mlp} {
			if got := logits(c, "p", version); got != want {
				t.Errorf("%s: p version %q answered %s, want %s", proto, version, got, want)
			}
		}
	}

	// Version 1's requests, mirrored to version 2, disagree.
	waitMetric(t, in.URL, `model="p",result="disagree",shadow_version="2"`)

	write(t, filepath.Join(p, "config.yaml"), "platform: pipeline\nversion_policy: all\ntraffic: {\"1\": 50, \"2\": 50}\n")
	if err := in.Models.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 64 {
		seen[logits(cs["grpc"], "p", "")] = true
	}
	if !seen[cnn] || !seen[mlp] || len(seen) != 2 {
		t.Errorf("a 50/50 split answered %d different ways, want both versions'", len(seen))
	}

	stepSeries := func(version string) string {
		return `inferd_pipeline_step_seconds_count{pipeline="p",step="` + map[string]string{"1": "cnn", "2": "mlp"}[version] + `",version="` + version + `"}`
	}
	if m := get(t, in.URL+"/metrics"); !strings.Contains(m, stepSeries("1")) || !strings.Contains(m, stepSeries("2")) {
		t.Fatalf("metrics have no step series of versions 1 and 2")
	}
	if err := os.RemoveAll(filepath.Join(p, "1")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(p, "config.yaml"), "platform: pipeline\nversion_policy: all\n") // the split named version 1
	if err := in.Models.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := in.Models.Acquire("p", "1", ""); err == nil {
		v.Release()
		t.Error("version 1 still takes new requests once removed")
	}
	res, err := held.Infer(ctx, &serving.Request{Inputs: map[string]*tensor.Tensor{"input": x.Tensor}})
	if err != nil {
		t.Fatalf("the request holding version 1 while it drains: %v", err)
	}
	if got := fmt.Sprint(tensor.Data[float32](res.Outputs[0].Tensor)); got != cnn {
		t.Errorf("the request holding version 1 answered %s, want %s", got, cnn)
	}
	held.Release()
	in.Models.WaitRetired()
	if st := held.State(); st != serving.StateUnloaded {
		t.Errorf("version 1 after its last request: %s, want UNLOADED", st)
	}
	// The retired version's step series are gone; version 2's stay.
	m := get(t, in.URL+"/metrics")
	if strings.Contains(m, `pipeline="p",step="cnn"`) || !strings.Contains(m, stepSeries("2")) {
		t.Errorf("metrics after version 1 left:\n%s\nwant no step series of version 1, version 2's kept", grepLines(m, `pipeline="p"`))
	}
	for proto, c := range cs {
		if got := logits(c, "p", ""); got != mlp {
			t.Errorf("%s: p answered %s after version 1 left, want version 2's %s", proto, got, mlp)
		}
	}
}

// answer is the logits a version of a model answers to x, as text.
func answer(t *testing.T, c *client.Client, model, version string, x client.Input) string {
	t.Helper()
	res, err := c.Infer(context.Background(), &client.InferRequest{Model: model, Version: version, Inputs: []client.Input{x}})
	if err != nil {
		t.Fatalf("%s/%s: %v", model, version, err)
	}
	return fmt.Sprint(tensor.Data[float32](res.Output("logits")))
}

// waitMetric waits until the server's metrics hold want.
func waitMetric(t *testing.T, url, want string) {
	t.Helper()
	for i := 0; !strings.Contains(get(t, url+"/metrics"), want); i++ {
		if i == 500 {
			t.Fatalf("metrics have no %s", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// grepLines are the lines of s that hold sub.
func grepLines(s, sub string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
