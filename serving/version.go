package serving

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferd/inferd/batch"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/tensor"
)

// State is a version's lifecycle state.
type State string

// Version states.
const (
	StateLoading   State = "LOADING"
	StateAvailable State = "AVAILABLE"
	StateFailed    State = "FAILED"
	StateUnloaded  State = "UNLOADED"
)

var allStates = []State{StateLoading, StateAvailable, StateFailed, StateUnloaded}

// Version is one version of a model, loaded or not.
type Version struct {
	Model  string
	Number int
	Path   string
	Config *model.Config
	// fileID identifies the model file this version was created from.
	fileID string
	// mirror, when set, receives every successful run for the shadow.
	mirror func(v *Version, inputs, outputs map[string]*tensor.Tensor)
	// generation distinguishes Version objects of the same number created
	// for different configs.
	generation uint64

	// runMu is held for reading by every run and for writing by unload,
	// so that a session is never closed under a run.
	runMu    sync.RWMutex
	mu       sync.RWMutex
	state    State
	err      error
	info     Info
	sessions []engine.Session // cfg.Instances of them
	batcher  *batch.Batcher   // nil without batching
	next     atomic.Uint64    // round robin over sessions without batching
	observer *observer
	inputs   []engine.TensorInfo // effective: the config's declarations where given
	outputs  []engine.TensorInfo
	image    *preprocess.Image
	classify *preprocess.Classifier

	// refs counts requests that resolved this version and have not
	// released it; retire waits for it to reach zero before unloading.
	refs int
	// inflight mirrors refs without the lock, for the batcher (a batch
	// does not wait for companions when no other request is in flight).
	inflight atomic.Int64
	retired  bool
	drained  chan struct{} // closed when retired and refs == 0
}

// acquire takes a reference for a request; it fails once the version is
// retired.
func (v *Version) acquire() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.retired {
		return false
	}
	v.refs++
	v.inflight.Add(1)
	return true
}

// Release returns the reference taken by Manager.Acquire.
func (v *Version) Release() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.refs--
	v.inflight.Add(-1)
	if v.refs == 0 && v.retired && v.drained != nil {
		close(v.drained)
		v.drained = nil
	}
}

// retire stops new requests from acquiring the version and returns a
// channel closed when the requests holding it have released it.
func (v *Version) retire() <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.retired = true
	ch := make(chan struct{})
	if v.refs == 0 {
		close(ch)
	} else {
		v.drained = ch
	}
	return ch
}

// Info is what is known about a version once it has been loaded (or has
// failed to).
type Info struct {
	Engine       string
	SHA256       string
	SizeBytes    int64
	LoadedAt     time.Time
	LoadDuration time.Duration
}

// Status is a snapshot of a version for APIs.
type Status struct {
	State State
	Err   error
	Info
	Inputs  []engine.TensorInfo
	Outputs []engine.TensorInfo
}

// Status returns a consistent snapshot of the version.
func (v *Version) Status() Status {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return Status{State: v.state, Err: v.err, Info: v.info, Inputs: v.inputs, Outputs: v.outputs}
}

// State returns the version's state.
func (v *Version) State() State {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.state
}

// Inputs returns the version's effective input declarations.
func (v *Version) Inputs() []engine.TensorInfo {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.inputs
}

// Outputs returns the version's output declarations.
func (v *Version) Outputs() []engine.TensorInfo {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.outputs
}

// AcceptsImages reports whether the config describes image preprocessing.
func (v *Version) AcceptsImages() bool { return v.image != nil }

// IsClassifier reports whether the config describes classification output.
func (v *Version) IsClassifier() bool { return v.classify != nil }

// Label is the version as shown to users: "1", "2", ...
func (v *Version) Label() string { return fmt.Sprint(v.Number) }

// setReloadError records that a newer load of this version failed while
// this one keeps serving; Status reports it as the version's error.
func (v *Version) setReloadError(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.err = err
}

func (v *Version) setFailed(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.state, v.err = StateFailed, err
}
