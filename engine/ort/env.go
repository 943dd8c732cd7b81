//go:build ort

package ort

import (
	"fmt"
	"os"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Compiled reports whether ONNX Runtime support is compiled in (the ort
// build tag).
const Compiled = true

// loadedPath is the library the process's ONNX Runtime environment was
// created from; "" until the first successful Load. Guarded by libMu.
var loadedPath string

// checkNotLoaded refuses to switch libraries once one is loaded: ONNX
// Runtime's environment is process-wide. Called with libMu held.
func checkNotLoaded(path string) error {
	if loadedPath != "" && path != loadedPath {
		return fmt.Errorf("ONNX Runtime is already loaded from %s; it cannot be switched to %s in the same process", loadedPath, path)
	}
	return nil
}

// ensureEnv opens the shared library and creates the ONNX Runtime
// environment on first use. path, when not empty, overrides the configured
// library. A failed attempt may be retried (with another path).
func ensureEnv(path string) error {
	libMu.Lock()
	defer libMu.Unlock()
	if path == "" {
		path = libraryPathLocked()
	}
	if loadedPath != "" {
		if path != "" {
			return checkNotLoaded(path)
		}
		return nil
	}
	if path == "" {
		return ErrNoLibrary
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("ONNX Runtime library (--ort-library, %s): %w", EnvLibrary, err)
	}
	ortgo.SetSharedLibraryPath(path)
	// Warnings (initializers removed by the optimizer and the like) are
	// not the server's business; errors reach the caller as Go errors.
	if err := ortgo.InitializeEnvironment(ortgo.WithLogLevelError()); err != nil {
		return fmt.Errorf("loading ONNX Runtime from %s (onnxruntime_go needs ONNX Runtime 1.24 or newer): %w", path, err)
	}
	loadedPath = path
	return nil
}

// Version returns the version of the loaded ONNX Runtime library, or "" if
// none is loaded yet.
func Version() string {
	libMu.Lock()
	defer libMu.Unlock()
	if loadedPath == "" {
		return ""
	}
	return ortgo.GetVersion()
}
