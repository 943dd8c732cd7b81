package ort

import (
	"errors"
	"os"
	"sync"
)

// Name is the name models use to select this engine (engine: ort).
const Name = "ort"

// EnvLibrary is the environment variable that names the ONNX Runtime shared
// library when SetLibraryPath was not called.
const EnvLibrary = "INFERD_ORT_LIBRARY"

// ErrNotCompiled is returned by the stub engine of binaries built without
// the ort build tag.
var ErrNotCompiled = errors.New(`the "ort" engine (ONNX Runtime) is not compiled into this binary: ` +
	`build with "go build -tags ort ./cmd/inferd" (cgo and gcc needed) and give the path of ` +
	`libonnxruntime.so with --ort-library or ` + EnvLibrary + ` (scripts/onnxruntime.sh fetches it)`)

// ErrNoLibrary is returned by Load when no library path is configured.
var ErrNoLibrary = errors.New(`the "ort" engine needs the ONNX Runtime shared library: ` +
	`give its path with --ort-library or ` + EnvLibrary + ` (scripts/onnxruntime.sh fetches libonnxruntime.so.1)`)

var (
	libMu   sync.Mutex
	libPath string
)

// SetLibraryPath sets the path of the ONNX Runtime shared library
// (libonnxruntime.so) that the first Load opens; it overrides
// INFERD_ORT_LIBRARY. The library is opened once per process, so a call
// after a Load with a different path fails. Stub builds accept any path.
func SetLibraryPath(path string) error {
	libMu.Lock()
	defer libMu.Unlock()
	if err := checkNotLoaded(path); err != nil {
		return err
	}
	libPath = path
	return nil
}

// LibraryPath returns the configured library path: the one given to
// SetLibraryPath, else $INFERD_ORT_LIBRARY, else "".
func LibraryPath() string {
	libMu.Lock()
	defer libMu.Unlock()
	return libraryPathLocked()
}

func libraryPathLocked() string {
	if libPath != "" {
		return libPath
	}
	return os.Getenv(EnvLibrary)
}
