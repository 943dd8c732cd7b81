//go:build !ort

package ort

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
)

// TestStub checks that without the ort tag the engine is registered and
// its Load says how to enable ONNX Runtime.
func TestStub(t *testing.T) {
	e, err := engine.Get(Name)
	if err != nil {
		t.Fatalf("engine %q is not registered: %v", Name, err)
	}
	if Compiled {
		t.Fatal("Compiled is true in a build without the ort tag")
	}
	s, err := e.Load(context.Background(), engine.ModelFile{Name: "model.onnx"}, engine.Options{})
	if s != nil || !errors.Is(err, ErrNotCompiled) {
		t.Fatalf("Load = %v, %v; want ErrNotCompiled", s, err)
	}
	for _, want := range []string{"go build -tags ort", "--ort-library", EnvLibrary} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if Version() != "" {
		t.Errorf("Version() = %q, want empty", Version())
	}
}

func TestLibraryPath(t *testing.T) {
	t.Setenv(EnvLibrary, "/from/env/libonnxruntime.so")
	if got := LibraryPath(); got != "/from/env/libonnxruntime.so" {
		t.Errorf("LibraryPath() = %q, want the environment's", got)
	}
	if err := SetLibraryPath("/from/flag/libonnxruntime.so"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetLibraryPath("") })
	if got := LibraryPath(); got != "/from/flag/libonnxruntime.so" {
		t.Errorf("LibraryPath() = %q, want the one set", got)
	}
}
