//go:build ort

package ort

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// errClosed is returned by runs on a closed session.
var errClosed = errors.New("ort: session is closed")

// session is an ONNX Runtime session. ONNX Runtime allows concurrent runs
// of one session; mu only keeps Close from releasing it under a run.
type session struct {
	sess            *ortgo.DynamicAdvancedSession
	inputs, outputs []port
	inInfos         []engine.TensorInfo
	// valueInputs names the inputs that are not tensors; Run refuses such
	// models, RunValues takes them.
	valueInputs []string
	// needDims is set when some FP16 output has a symbolic dimension: runs
	// then work out its size from the inputs to preallocate it.
	needDims bool

	mu     sync.RWMutex
	closed bool
}

func (s *session) Inputs() []engine.TensorInfo  { return infos(s.inputs) }
func (s *session) Outputs() []engine.TensorInfo { return infos(s.outputs) }

// Close releases the session after the runs in flight.
func (s *session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.sess.Destroy()
}

// Run checks the inputs, runs the model and converts every output to a
// tensor (non-tensor outputs flattened as the package documentation says).
func (s *session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if len(s.valueInputs) > 0 {
		return nil, fmt.Errorf("ort: the model's inputs %v are not tensors; Run takes tensors only (RunValues takes ONNX values)", s.valueInputs)
	}
	if err := engine.CheckInputs(s.inInfos, inputs); err != nil {
		return nil, err
	}
	var a arena
	defer a.release()
	in := make([]ortgo.Value, len(s.inputs))
	for i, p := range s.inputs {
		v, err := a.tensorValue(inputs[p.info.Name])
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p.info.Name, err)
		}
		in[i] = v
	}
	out, err := s.preallocate(&a, s.inputDims(inputs))
	if err != nil {
		return nil, err
	}
	if out, err = s.run(ctx, &a, in, out); err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Tensor, len(out))
	for i, p := range s.outputs {
		t, err := flatten(out[i], p)
		if err != nil {
			return nil, fmt.Errorf("ort: output %q: %w", p.info.Name, err)
		}
		res[p.info.Name] = t
	}
	return res, nil
}

// RunValues runs the model on ONNX values, which may be sequences, maps or
// optionals (an optional input is passed as its content), and returns every
// output as an ONNX value. Map values are returned as one scalar tensor
// each. Errors caused by the inputs wrap engine.ErrInvalidInput.
func (s *session) RunValues(ctx context.Context, inputs map[string]*onnx.Value) (map[string]*onnx.Value, error) {
	for name := range inputs {
		if !hasPort(s.inputs, name) {
			return nil, fmt.Errorf("%w: unknown input %q (model inputs: %v)", engine.ErrInvalidInput, name, names(s.inputs))
		}
	}
	var a arena
	defer a.release()
	in := make([]ortgo.Value, len(s.inputs))
	tensors := map[string]*tensor.Tensor{}
	for i, p := range s.inputs {
		v, ok := inputs[p.info.Name]
		if !ok || v == nil {
			return nil, fmt.Errorf("%w: missing input %q", engine.ErrInvalidInput, p.info.Name)
		}
		ov, err := a.value(v)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p.info.Name, err)
		}
		in[i] = ov
		if v.Kind == onnx.KindTensor {
			tensors[p.info.Name] = v.Tensor
		}
	}
	out, err := s.preallocate(&a, s.inputDims(tensors))
	if err != nil {
		return nil, err
	}
	if out, err = s.run(ctx, &a, in, out); err != nil {
		return nil, err
	}
	res := make(map[string]*onnx.Value, len(out))
	for i, p := range s.outputs {
		v, err := valueOf(out[i])
		if err != nil {
			return nil, fmt.Errorf("ort: output %q: %w", p.info.Name, err)
		}
		if p.typ.Kind == onnx.KindOptional {
			v = &onnx.Value{Kind: onnx.KindOptional, Elem: v}
		}
		res[p.info.Name] = v
	}
	return res, nil
}

// run runs the session on prepared inputs and outputs (nil where ONNX
// Runtime allocates) and returns the outputs in the order of s.outputs,
// owned by a. Cancelling ctx terminates the run.
func (s *session) run(ctx context.Context, a *arena, in, out []ortgo.Value) ([]ortgo.Value, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	var err error
	if ctx.Done() == nil {
		err = s.sess.Run(in, out)
	} else {
		err = s.runCancellable(ctx, in, out)
	}
	// Outputs that onnxruntime_go allocated are released with the arena,
	// on failure too (a run may fail after allocating some).
	for _, v := range out {
		if !isNil(v) && !owned(*a, v) {
			a.add(v)
		}
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, runError(err)
	}
	return out, nil
}

// runCancellable runs with run options whose terminate flag is raised when
// ctx is done.
func (s *session) runCancellable(ctx context.Context, in, out []ortgo.Value) error {
	ro, err := ortgo.NewRunOptions()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		ro.Terminate()
	})
	defer func() {
		if !stop() {
			<-done // Terminate is running or ran: wait before releasing ro
		}
		ro.Destroy()
	}()
	return s.sess.RunWithOptions(in, out, ro)
}

// isNil reports whether v is nil or holds a nil pointer: onnxruntime_go
// leaves typed nils in the outputs when converting one fails.
func isNil(v ortgo.Value) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// owned reports whether v is already in a.
func owned(a arena, v ortgo.Value) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func hasPort(ps []port, name string) bool {
	for _, p := range ps {
		if p.info.Name == name {
			return true
		}
	}
	return false
}

var _ engine.ValueSession = (*session)(nil)
