//go:build ort

package ort

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/enginetest"
	"github.com/inferd/inferd/tensor"
)

// requireLibrary skips the test when no ONNX Runtime library is configured.
func requireLibrary(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvLibrary) == "" {
		t.Skipf("%s is not set: run scripts/test-ort.sh, or set it to libonnxruntime.so (scripts/onnxruntime.sh fetches it)", EnvLibrary)
	}
}

func sprint(v any) string { return fmt.Sprint(v) }

func TestConformance(t *testing.T) {
	requireLibrary(t)
	enginetest.Run(t, Engine{})
}

func TestRegistered(t *testing.T) {
	e, err := engine.Get(Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(Engine); !ok || !Compiled {
		t.Errorf("engine %q is %T (Compiled=%v), want the ONNX Runtime engine", Name, e, Compiled)
	}
}

func TestLifecycle(t *testing.T) {
	s := loadTest(t, "dtypes.onnx", engine.Options{IntraOpThreads: 1, InterOpThreads: 2})
	if v := Version(); !strings.HasPrefix(v, "1.") {
		t.Errorf("Version() = %q, want 1.x once loaded", v)
	}
	if err := SetLibraryPath(LibraryPath() + ".other"); err == nil {
		t.Error("SetLibraryPath to another library after a Load succeeded")
	}
	_, err := engine.LoadPath(context.Background(), Engine{LibraryPath: "/elsewhere/libonnxruntime.so"}, "testdata/dtypes.onnx", engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("Load with another library: %v, want an already loaded error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, map[string]*tensor.Tensor{}); err == nil {
		t.Error("Run with missing inputs succeeded")
	}
	full := map[string]*tensor.Tensor{}
	for _, info := range s.Inputs() {
		full[info.Name] = tensor.New(info.DType, 1, 2)
	}
	if _, err := s.Run(ctx, full); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := s.Run(context.Background(), full); err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Run(context.Background(), full); !errors.Is(err, errClosed) {
		t.Errorf("Run after Close: %v, want %v", err, errClosed)
	}
}

func TestLoadErrors(t *testing.T) {
	requireLibrary(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		opts       engine.Options
		want       string
	}{
		{"missing file", filepath.Join(dir, "nope.onnx"), engine.Options{}, "no such file"},
		{"garbage", garbage, engine.Options{}, "onnxruntime"},
		{"negative threads", "testdata/dtypes.onnx", engine.Options{IntraOpThreads: -1}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := engine.LoadPath(context.Background(), Engine{}, tc.path, tc.opts)
			if err == nil {
				s.Close()
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestRunErrorClassification(t *testing.T) {
	tests := []struct {
		msg     string
		invalid bool
		want    string
	}{
		{"Error running network: Non-zero status code returned while running Conv node. Name:'c' Status Message: Input channels C is not equal", true, "Conv"},
		{"Non-zero status code returned while running Gather node. Status Message: indices element out of data bounds, idx=5", true, "index out of range"},
		{"Non-zero status code returned while running MatMul node. Status Message: Failed to allocate memory for requested buffer", false, "allocate"},
		{"Got invalid dimensions for input: x for the following indices", true, "invalid dimensions"},
		{"something else entirely", false, "something else"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			err := runError(errors.New(tc.msg))
			if errors.Is(err, engine.ErrInvalidInput) != tc.invalid {
				t.Errorf("runError(%q) = %v; wraps ErrInvalidInput: %v, want %v", tc.msg, err, !tc.invalid, tc.invalid)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("runError(%q) = %v, want it to mention %q", tc.msg, err, tc.want)
			}
		})
	}
}
