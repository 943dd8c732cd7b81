package serving

import (
	"fmt"
	"sync"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/preprocess"
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

	// runMu is held for reading by every run and for writing by unload,
	// so that a session is never closed under a run.
	runMu    sync.RWMutex
	mu       sync.RWMutex
	state    State
	err      error
	info     Info
	session  engine.Session
	inputs   []engine.TensorInfo // effective: the config's declarations where given
	outputs  []engine.TensorInfo
	image    *preprocess.Image
	classify *preprocess.Classifier
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

func (v *Version) setFailed(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.state, v.err = StateFailed, err
}
