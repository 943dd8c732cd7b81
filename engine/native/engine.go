package native

import (
	"context"
	"fmt"

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

// Load decodes the model's bytes (external data read from m.Dir, see
// onnx.WithFS) and plans it with NewSession. Decoding errors name m.Name and
// wrap onnx.ErrInvalidModel. The model's tensors are held to
// opts.MaxModelBytes (onnx.WithMaxBytes) as they are decoded, each sized
// before its data is read, and again with the outputs of constant
// folding.
func (Engine) Load(ctx context.Context, m engine.ModelFile, opts engine.Options) (engine.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	model, err := onnx.Decode(m.Data, onnx.WithFS(m.Dir), onnx.WithMaxBytes(opts.ModelBytesLimit()))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", m.Name, err)
	}
	return NewSession(ctx, model, opts)
}

var _ engine.Engine = Engine{}
