package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

func ensembleSpec(t testing.TB) string {
	data, err := os.ReadFile(filepath.Join("..", "examples", "models", "digits-ensemble", "1", "pipeline.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// byHand runs the digits-ensemble steps through the engine directly: both
// models, then the mean of their softmax probabilities.
func byHand(t *testing.T, x *tensor.Tensor) []float32 {
	t.Helper()
	eng, err := engine.Get("native")
	if err != nil {
		t.Fatal(err)
	}
	var logits [][]float32
	for _, m := range []string{"digits", "digits-mlp"} {
		file, err := engine.ReadFile(filepath.Join("..", "examples", "models", m, "1", "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		sess, err := eng.Load(context.Background(), file, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := sess.Run(context.Background(), map[string]*tensor.Tensor{"input": x})
		_ = sess.Close()
		if err != nil {
			t.Fatal(err)
		}
		logits = append(logits, tensor.Data[float32](out["logits"]))
	}
	n := x.Shape()[0]
	want := make([]float32, n*10)
	for i := range n {
		sum := make([]float64, 10)
		for _, l := range logits {
			row := l[i*10 : i*10+10]
			m, s := math.Inf(-1), 0.0
			for _, v := range row {
				m = max(m, float64(v))
			}
			e := make([]float64, 10)
			for j, v := range row {
				e[j] = math.Exp(float64(v) - m)
				s += e[j]
			}
			for j := range e {
				sum[j] += e[j] / s
			}
		}
		for j, v := range sum {
			want[i*10+j] = float32(v / 2)
		}
	}
	return want
}

// TestEnsembleEqualsSteps: digits-ensemble, over HTTP and gRPC, answers
// exactly what running its steps by hand through the engine gives.
func TestEnsembleEqualsSteps(t *testing.T) {
	in := servertest.Start(t, repo(t, map[string]string{"digits-ensemble": ensembleSpec(t)}))
	x := digitsBatch(3)
	want := byHand(t, x)
	ctx := context.Background()
	for proto, c := range clients(t, in) {
		t.Run(proto, func(t *testing.T) {
			res, err := infer(ctx, c, "digits-ensemble", client.Input{Name: "input", Tensor: x})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Output("probs")
			if got == nil || !equalFloats(tensor.Data[float32](got), want) {
				t.Fatalf("probs = %v, want %v", got, want)
			}
			labels := res.Output("digit")
			if labels == nil || labels.Len() != 3 {
				t.Fatalf("digit = %v, want 3 labels", labels)
			}
		})
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEnsembleImageAndTiming: the seed image route works on the pipeline
// (images preprocessed as digits does), the timing header splits the time
// by step, and the step metrics count the runs.
func TestEnsembleImageAndTiming(t *testing.T) {
	in := servertest.Start(t, repo(t, nil))
	img, err := os.Open(filepath.Join("..", "examples", "digits", "images", "7_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	res, err := http.Post(in.URL+"/models/digits-ensemble", "image/png", img)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"predictions":[{"label":"7"`) {
		t.Fatalf("%d %s, want 200 ranking 7 first", res.StatusCode, body)
	}
	timing, err := runner.ParseTiming(res.Header.Get("Inferd-Timing"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range timing.Steps {
		if s.Missing {
			t.Errorf("step %s is missing", s.Name)
		}
		steps = append(steps, s.Name)
	}
	for _, want := range []string{"cnn", "mlp", "mean", "best", "label"} {
		if !strings.Contains(strings.Join(steps, ","), want) {
			t.Errorf("timing %q has no step %s", res.Header.Get("Inferd-Timing"), want)
		}
	}
	metrics := get(t, in.URL+"/metrics")
	for _, want := range []string{
		`inferd_pipeline_step_seconds_count{pipeline="digits-ensemble",step="cnn",version="1"} 1`,
		`inferd_pipeline_step_errors_total{pipeline="digits-ensemble",step="mean",version="1"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics have no %s", want)
		}
	}
}

func get(t testing.TB, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestOwnPreprocess: a pipeline whose config.yaml has its own image
// preprocessing and postprocessing answers the seed image route with it.
func TestOwnPreprocess(t *testing.T) {
	dir := repo(t, nil)
	writePipeline(t, dir, "own", `platform: pipeline
preprocess:
  image: {color: gray, resize: {width: 8, height: 8, filter: area}, layout: NCHW}
postprocess: {output: logits, softmax: true, top_k: 1}
`, cnnOnly(""))
	in := servertest.Start(t, dir)
	img, err := os.ReadFile(filepath.Join("..", "examples", "digits", "images", "3_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(in.URL+"/models/own", "image/png", bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"predictions":[{"label":"3","index":3,`) {
		t.Fatalf("%d %s, want 200 ranking 3 first (one class)", res.StatusCode, body)
	}
}

// TestRequestClassification: the request-level classification parameter
// ranks digits-ensemble's score output (probs, as its config.yaml says)
// over HTTP and gRPC, and is refused (400, InvalidArgument) with outputs
// named, which take the parameter each.
func TestRequestClassification(t *testing.T) {
	in := servertest.Start(t, repo(t, nil))
	x := client.Input{Name: "input", Tensor: digitsBatch(2)}
	ctx := context.Background()
	for proto, c := range clients(t, in) {
		res, err := c.Infer(ctx, &client.InferRequest{Model: "digits-ensemble", Inputs: []client.Input{x}, Classification: 3})
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		if len(res.Outputs) != 1 || res.Outputs[0].Name != "probs" {
			t.Fatalf("%s: outputs %v, want probs ranked", proto, res.Outputs)
		}
		rows, err := client.ParseClassifications(res.Outputs[0].Tensor)
		if err != nil || len(rows) != 2 || len(rows[0]) != 3 {
			t.Errorf("%s: classes %v (%v), want 3 for each of 2 rows", proto, rows, err)
		}
		_, err = c.Infer(ctx, &client.InferRequest{Model: "digits-ensemble", Inputs: []client.Input{x}, Classification: 3,
			Outputs: []client.RequestedOutput{{Name: "digit"}}})
		var e *client.Error
		if !errors.As(err, &e) || (e.HTTPStatus != http.StatusBadRequest && e.Code != codes.InvalidArgument) ||
			!strings.Contains(e.Message, `parameter "classification" on the request ranks the model's score output; when naming outputs, give it on the output to rank`) {
			t.Errorf("%s: classification with outputs named: %v, want 400 saying to give it on the output", proto, err)
		}
	}
}
