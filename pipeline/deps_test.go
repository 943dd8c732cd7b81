package pipeline_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// cnnOnly runs digits at the given version ("" for its default route).
func cnnOnly(version string) string {
	return `
inputs:
  - {name: input, datatype: FP32, shape: [-1, 1, 8, 8]}
steps:
  - {name: cnn, model: digits, version: "` + version + `", inputs: {input: pipeline.inputs.input}}
outputs:
  - {name: logits, from: cnn.outputs.logits}
`
}

// TestReferencedVersionGoesAway: when digits version 1 leaves the
// repository, the pipeline pinned to it turns FAILED, visibly, naming the
// step, while the pipeline on digits' default route moves to version 2
// and keeps serving; when version 1 comes back, the pinned one serves
// again.
func TestReferencedVersionGoesAway(t *testing.T) {
	dir := repo(t, map[string]string{"pinned": cnnOnly("1"), "floating": cnnOnly("")})
	if err := os.RemoveAll(filepath.Join(dir, "digits-ensemble")); err != nil { // it names the label production
		t.Fatal(err)
	}
	digits := filepath.Join(dir, "digits")
	write(t, filepath.Join(digits, "config.yaml"), "version_policy: all\n")
	onnx, err := os.ReadFile(filepath.Join(digits, "1", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(digits, "2"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(digits, "2", "model.onnx"), string(onnx))
	in := servertest.StartConfig(t, app.Config{RepositoryDir: dir, Serving: []serving.Option{serving.WithSettle(0)}})
	ctx := context.Background()
	x := client.Input{Name: "input", Tensor: digitsBatch(2)}
	cs := clients(t, in)
	for _, name := range []string{"pinned", "floating"} {
		if _, err := infer(ctx, cs["http"], name, x); err != nil {
			t.Fatalf("%s before: %v", name, err)
		}
	}

	if err := os.RemoveAll(filepath.Join(digits, "1")); err != nil {
		t.Fatal(err)
	}
	if err := in.Models.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	body := get(t, in.URL+"/models/pinned")
	if !strings.Contains(body, `"state":"FAILED"`) || !strings.Contains(body, `step \"cnn\": model \"digits\"`) {
		t.Fatalf("pinned after version 1 left: %s", body)
	}
	if m := get(t, in.URL+"/metrics"); !strings.Contains(m, `inferd_model_state{model="pinned",state="FAILED",version="1"} 1`) {
		t.Error(`inferd_model_state does not show pinned version 1 FAILED`)
	}
	want, err := infer(ctx, cs["http"], "digits", x)
	if err != nil {
		t.Fatal(err)
	}
	for proto, c := range cs {
		_, err := infer(ctx, c, "pinned", x)
		var ce *client.Error
		if !errors.As(err, &ce) || (ce.HTTPStatus != http.StatusServiceUnavailable && ce.Code != codes.Unavailable) {
			t.Errorf("%s: pinned = %v, want unavailable", proto, err)
		}
		res, err := infer(ctx, c, "floating", x)
		if err != nil || !equalFloats(tensor.Data[float32](res.Output("logits")), tensor.Data[float32](want.Output("logits"))) {
			t.Errorf("%s: floating = %v, %v; want digits version 2's answer", proto, res, err)
		}
	}

	if err := os.MkdirAll(filepath.Join(digits, "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(digits, "1", "model.onnx"), string(onnx))
	if err := in.Models.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := in.Models.Resolve("pinned", ""); err != nil {
		t.Fatalf("pinned after version 1 came back: %v", err)
	} else if st := v.Status(); st.State != serving.StateAvailable {
		t.Fatalf("pinned after version 1 came back: %s %v", st.State, st.Err)
	}
	if _, err := infer(ctx, cs["grpc"], "pinned", x); err != nil {
		t.Fatalf("pinned after version 1 came back: %v", err)
	}
}
