package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// ErrInvalidInput marks errors caused by the caller's tensors (unknown or
// missing input names, wrong dtype or shape). Servers map it to 400.
var ErrInvalidInput = errors.New("invalid input")

// ErrUnknownEngine is returned by Get for a name nobody registered.
var ErrUnknownEngine = errors.New("unknown engine")

// TensorInfo describes a model input or output. Dimensions that are not
// fixed by the model are -1.
type TensorInfo struct {
	Name  string       `json:"name"`
	DType tensor.DType `json:"datatype"`
	Shape []int        `json:"shape"`
}

// Options configure how a model is loaded.
type Options struct {
	// IntraOpThreads bounds the threads one operator may use; 0 means the
	// engine's default.
	IntraOpThreads int
	// InterOpThreads bounds the operators run in parallel; 0 means default.
	InterOpThreads int
	// Logger receives load-time diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// MaxTensorBytes bounds the size of one tensor the engine allocates
	// when its size comes from values (ConstantOfShape, Expand, Tile,
	// Range, Resize, Pad, Loop scan outputs, …), at run time and when
	// folding constants at load. A run that would exceed it fails with an
	// error wrapping ErrInvalidInput that names the node and the size. 0
	// means DefaultMaxTensorBytes; a negative value means no limit.
	MaxTensorBytes int64
	// MaxModelBytes bounds the memory one model may take while it loads:
	// its initializers (sized from their dims and data type before any
	// external data is read) and the outputs of constant folding. A model
	// that would exceed it fails to load. 0 means DefaultMaxModelBytes; a
	// negative value means no limit.
	MaxModelBytes int64
}

// Defaults of Options.MaxTensorBytes and Options.MaxModelBytes.
const (
	DefaultMaxTensorBytes int64 = 1 << 30
	DefaultMaxModelBytes  int64 = 4 << 30
)

// TensorBytesLimit returns the effective MaxTensorBytes: the default for
// 0, and 0 (no limit) for a negative value.
func (o Options) TensorBytesLimit() int64 { return limitOf(o.MaxTensorBytes, DefaultMaxTensorBytes) }

// ModelBytesLimit returns the effective MaxModelBytes: the default for 0,
// and 0 (no limit) for a negative value.
func (o Options) ModelBytesLimit() int64 { return limitOf(o.MaxModelBytes, DefaultMaxModelBytes) }

func limitOf(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Log returns the configured logger or the default one.
func (o Options) Log() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Engine loads models.
type Engine interface {
	// Name is the name models use to select the engine (engine: native).
	Name() string
	// Load prepares the model m: it decodes m.Data and resolves the files
	// the model refers to (external data) in m.Dir. Errors name m.Name.
	// Load does not keep m.Data after it returns. LoadPath loads a file.
	Load(ctx context.Context, m ModelFile, opts Options) (Session, error)
}

// Session is a loaded model. Run is safe for concurrent use.
type Session interface {
	Inputs() []TensorInfo
	Outputs() []TensorInfo
	// Run executes the model. inputs must hold every model input by name;
	// the result holds every model output by name. Errors caused by the
	// inputs wrap ErrInvalidInput.
	Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)
	// Close releases the session's resources. Run must not be called after.
	Close() error
}

// ValueSession is an optional capability of a Session: running a model
// whose inputs or outputs are ONNX values that are not tensors (sequences,
// maps, optionals), such as the sequence of maps an ONNX-ML ZipMap
// produces. Callers find it with a type assertion (s.(engine.ValueSession)).
// Inputs are keyed by graph input name and must hold every input without
// a default; the result holds every graph output as it is, while Run may
// flatten non-tensor outputs to tensors. Values of kind tensor are passed
// as such. Errors caused by the inputs wrap ErrInvalidInput, as Run's do.
// Like Run, RunValues is safe for concurrent use.
type ValueSession interface {
	Session
	RunValues(ctx context.Context, inputs map[string]*onnx.Value) (map[string]*onnx.Value, error)
}

// Recycler is an optional capability of a Session: taking back outputs of
// its runs that the caller has finished reading, so that later runs write
// their outputs into that memory instead of memory the process has never
// touched (on a virtual machine, a page fault costs as much as a small
// model's run). The caller must not read a tensor after handing it back.
// A session takes back only outputs it handed out itself and has not
// taken back yet, and ignores anything else: another session's outputs,
// inputs, constants, slices of a larger output. A session may start
// keeping track of its outputs only once Recycle has been called.
type Recycler interface {
	Recycle(outputs []*tensor.Tensor)
}

var (
	mu       sync.RWMutex
	registry = map[string]Engine{}
)

// Register makes an engine available by its name. It panics if the name is
// taken, as registration happens in init functions.
func Register(e Engine) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[e.Name()]; dup {
		panic("engine: Register called twice for " + e.Name())
	}
	registry[e.Name()] = e
}

// Get returns the engine registered under name.
func Get(name string) (Engine, error) {
	mu.RLock()
	defer mu.RUnlock()
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (available: %v)", ErrUnknownEngine, name, namesLocked())
	}
	return e, nil
}

// Names lists the registered engines, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckInputs validates inputs against a session's declared inputs: every
// declared input present, no unknown names, matching dtype, matching rank and
// fixed dimensions. Engines call it at the start of Run.
func CheckInputs(want []TensorInfo, inputs map[string]*tensor.Tensor) error {
	for _, w := range want {
		t, ok := inputs[w.Name]
		if !ok || t == nil {
			return fmt.Errorf("%w: missing input %q", ErrInvalidInput, w.Name)
		}
		if t.DType() != w.DType {
			return fmt.Errorf("%w: input %q has datatype %v, model expects %v", ErrInvalidInput, w.Name, t.DType(), w.DType)
		}
		if w.Shape != nil && !ShapeMatches(w.Shape, t.Shape()) {
			return fmt.Errorf("%w: input %q has shape %v, model expects %v", ErrInvalidInput, w.Name, t.Shape(), w.Shape)
		}
	}
	if len(inputs) != len(want) {
		if name, ok := firstUnknown(want, inputs); ok {
			return fmt.Errorf("%w: unknown input %q (model inputs: %v)", ErrInvalidInput, name, InfoNames(want))
		}
	}
	return nil
}

// firstUnknown returns the alphabetically first of the inputs' names
// that want does not declare: the same error every time, whatever the
// map's order.
func firstUnknown(want []TensorInfo, inputs map[string]*tensor.Tensor) (string, bool) {
	first, found := "", false
	for name := range inputs {
		if (!found || name < first) && IndexInfo(want, name) < 0 {
			first, found = name, true
		}
	}
	return first, found
}

// ShapesCompatible reports whether two declared shapes can describe the
// same tensors: the same rank, and equal dimensions where both are fixed
// (-1 is variable).
func ShapesCompatible(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] >= 0 && b[i] >= 0 && a[i] != b[i] {
			return false
		}
	}
	return true
}

// ShapeMatches reports whether a concrete shape fits a declared one, where -1
// in the declared shape matches any size.
func ShapeMatches(declared, shape []int) bool {
	if len(declared) != len(shape) {
		return false
	}
	for i, d := range declared {
		if d >= 0 && d != shape[i] {
			return false
		}
	}
	return true
}

// InfoNames returns the names of infos in order.
func InfoNames(infos []TensorInfo) []string {
	names := make([]string, len(infos))
	for i, in := range infos {
		names[i] = in.Name
	}
	return names
}

// IndexInfo returns the index of the tensor named name in infos, or -1.
func IndexInfo(infos []TensorInfo, name string) int {
	for i, in := range infos {
		if in.Name == name {
			return i
		}
	}
	return -1
}
