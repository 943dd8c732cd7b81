package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// Name is the engine's name in config.yaml (engine: fake).
const Name = "fake"

// Model is the content of a fake model file.
type Model struct {
	Inputs    []engine.TensorInfo `json:"inputs"`
	Outputs   []engine.TensorInfo `json:"outputs"`
	Scale     float64             `json:"scale,omitempty"`
	LoadError string              `json:"load_error,omitempty"`
	// LoadDelay makes Load take this long (a time.ParseDuration string),
	// ignoring its context, as a load stuck reading a file would.
	LoadDelay string `json:"load_delay,omitempty"`
	RunError  string `json:"run_error,omitempty"`
}

// Bytes encodes m as a model file.
func (m Model) Bytes() []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return b
}

// Engine loads fake models. Loads and Runs count what it did, across
// sessions, for tests that check what was (re)loaded.
type Engine struct {
	Loads, Runs atomic.Int64
}

// Default is the registered engine.
var Default = &Engine{}

func init() { engine.Register(Default) }

// Name implements engine.Engine.
func (e *Engine) Name() string { return Name }

// Load implements engine.Engine.
func (e *Engine) Load(ctx context.Context, f engine.ModelFile, _ engine.Options) (engine.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var m Model
	if err := json.Unmarshal(f.Data, &m); err != nil {
		return nil, fmt.Errorf("load %s: not a fake model: %w", f.Name, err)
	}
	if m.LoadDelay != "" {
		d, err := time.ParseDuration(m.LoadDelay)
		if err != nil {
			return nil, fmt.Errorf("load %s: load_delay: %w", f.Name, err)
		}
		time.Sleep(d)
	}
	if m.LoadError != "" {
		return nil, fmt.Errorf("load %s: %s", f.Name, m.LoadError)
	}
	if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
		return nil, fmt.Errorf("load %s: a fake model needs inputs and outputs", f.Name)
	}
	if m.Scale == 0 {
		m.Scale = 1
	}
	e.Loads.Add(1)
	return &session{m: m, e: e}, nil
}

type session struct {
	m      Model
	e      *Engine
	closed atomic.Bool
}

func (s *session) Inputs() []engine.TensorInfo  { return s.m.Inputs }
func (s *session) Outputs() []engine.TensorInfo { return s.m.Outputs }

func (s *session) Close() error {
	if s.closed.Swap(true) {
		return errors.New("fake session closed twice")
	}
	return nil
}

// Run implements engine.Session.
func (s *session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if s.closed.Load() {
		return nil, errors.New("fake session used after Close")
	}
	if err := engine.CheckInputs(s.m.Inputs, inputs); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.e.Runs.Add(1)
	if s.m.RunError != "" {
		return nil, errors.New(s.m.RunError)
	}
	out := make(map[string]*tensor.Tensor, len(s.m.Outputs))
	for i, o := range s.m.Outputs {
		in := inputs[s.m.Inputs[i%len(s.m.Inputs)].Name]
		t, err := s.output(o, in)
		if err != nil {
			return nil, err
		}
		out[o.Name] = t
	}
	return out, nil
}

// output makes output o from input in.
func (s *session) output(o engine.TensorInfo, in *tensor.Tensor) (*tensor.Tensor, error) {
	if in.DType() != o.DType {
		return nil, fmt.Errorf("fake model: output %q is %v but its input is %v", o.Name, o.DType, in.DType())
	}
	t := tensor.New(o.DType, in.Shape()...)
	switch o.DType {
	case tensor.Float32:
		dst, src := tensor.Data[float32](t), tensor.Data[float32](in)
		for i, x := range src {
			dst[i] = x * float32(s.m.Scale)
		}
	case tensor.Float64:
		dst, src := tensor.Data[float64](t), tensor.Data[float64](in)
		for i, x := range src {
			dst[i] = x * s.m.Scale
		}
	default:
		t = in.Clone()
	}
	return t, nil
}
