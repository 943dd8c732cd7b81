//go:build !ort

package ort

import (
	"context"

	"github.com/inferd/inferd/engine"
)

// Compiled reports whether ONNX Runtime support is compiled in (the ort
// build tag).
const Compiled = false

// Engine stands in for ONNX Runtime in builds without the ort tag: it is
// registered as "ort" so that a model selecting it fails with ErrNotCompiled,
// which says how to build with ONNX Runtime.
type Engine struct{}

func init() { engine.Register(Engine{}) }

// Name returns "ort".
func (Engine) Name() string { return Name }

// Load fails with ErrNotCompiled.
func (Engine) Load(context.Context, engine.ModelFile, engine.Options) (engine.Session, error) {
	return nil, ErrNotCompiled
}

// Version returns "" as no ONNX Runtime library is loaded.
func Version() string { return "" }

// Version returns "".
func (Engine) Version() string { return "" }

func checkNotLoaded(string) error { return nil }

var _ engine.Engine = Engine{}
