package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// repo makes a repository holding the digits, digits-mlp and
// digits-ensemble examples and the given pipelines (name → version 1's
// pipeline.yaml).
func repo(t testing.TB, pipelines map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range []string{"digits", "digits-mlp", "digits-ensemble"} {
		if err := os.CopyFS(filepath.Join(dir, m), os.DirFS(filepath.Join("..", "examples", "models", m))); err != nil {
			t.Fatal(err)
		}
	}
	for name, spec := range pipelines {
		writePipeline(t, dir, name, "platform: pipeline\n", spec)
	}
	return dir
}

func writePipeline(t testing.TB, dir, name, config, spec string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name, "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, name, "config.yaml"), config)
	write(t, filepath.Join(dir, name, "1", "pipeline.yaml"), spec)
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// clients returns an HTTP and a gRPC client of in, by protocol name.
func clients(t testing.TB, in *servertest.Instance) map[string]*client.Client {
	t.Helper()
	h, err := client.NewHTTP(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	g, err := client.NewGRPC(in.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(); _ = g.Close() })
	return map[string]*client.Client{"http": h, "grpc": g}
}

// digitsBatch is n 8x8 images in [0, 1], different and fixed.
func digitsBatch(n int) *tensor.Tensor {
	data := make([]float32, n*64)
	for i := range data {
		data[i] = float32((i*37+i/64*11)%17) / 16
	}
	return tensor.MustFromSlice(data, n, 1, 8, 8)
}

// infer runs one request of the pipeline's single input "input".
func infer(ctx context.Context, c *client.Client, name string, inputs ...client.Input) (*client.InferResponse, error) {
	return c.Infer(ctx, &client.InferRequest{Model: name, Inputs: inputs})
}
