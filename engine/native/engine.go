package native

import (
	"context"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
)

// Name is the name models use to select this engine.
const Name = "native"

// Engine is the pure-Go ONNX engine. The zero value is ready to use; it is
// registered with the engine registry as "native".
type Engine struct{}

func init() { engine.Register(Engine{}) }

// Name returns "native".
func (Engine) Name() string { return Name }

// Load decodes the ONNX file at path (external data resolved relative to
// its directory) and plans it with NewSession. Decoding errors wrap
// onnx.ErrInvalidModel.
func (Engine) Load(ctx context.Context, path string, opts engine.Options) (engine.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	return NewSession(ctx, m, opts)
}

var _ engine.Engine = Engine{}
