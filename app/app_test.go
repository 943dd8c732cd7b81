package app_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/fake"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/tensor"
)

func memoryRepo() *repository.Memory {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("engine: fake\n"))
	src.Put("m/1/model.onnx", fake.Model{
		Inputs:  []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1}}},
		Outputs: []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1}}},
	}.Bytes())
	return src
}

// Run serves while the repository loads, is ready once it has, and on
// cancellation drains, unloads and returns nil.
func TestRunServesAndStops(t *testing.T) {
	a, err := app.New(app.Config{Repository: memoryRepo(), HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", Watch: true, DrainTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	if err := a.LoadErr(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + a.HTTPAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || a.GRPCAddr == "" {
		t.Fatalf("readyz %d, gRPC on %q", resp.StatusCode, a.GRPCAddr)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if v, err := a.Models.Resolve("m", "1"); err == nil {
		t.Errorf("version still served after Run returned: %v", v.State())
	}
}

// A repository that cannot be read at all stops the server with the
// reason.
func TestRunFailsOnAnUnreadableRepository(t *testing.T) {
	a, err := app.New(app.Config{RepositoryDir: filepath.Join(t.TempDir(), "nope"), HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "model repository") {
			t.Fatalf("Run = %v, want the repository's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if a.LoadErr() == nil {
		t.Error("LoadErr is nil")
	}
}

func TestNewRefusesBadAddresses(t *testing.T) {
	for _, tc := range []struct{ http, grpc, want string }{
		{"nope", "", "--http-addr"},
		{"127.0.0.1:0", "nope", "--grpc-addr"},
	} {
		if _, err := app.New(app.Config{Repository: memoryRepo(), HTTPAddr: tc.http, GRPCAddr: tc.grpc}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %q) = %v, want an error naming %s", tc.http, tc.grpc, err, tc.want)
		}
	}
}
