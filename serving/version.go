package serving

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/inferd/inferd/batch"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
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

// Version is one version of a served model: its lifecycle (state, error,
// the requests holding it) and, once loaded, its data path (a servable).
type Version struct {
	ModelName string
	Number    int
	Config    *model.Config
	// file is the repository's model file this version was created from,
	// configID the config it was created with.
	file     repository.VersionEntry
	configID string

	mu    sync.RWMutex
	state State
	err   error
	info  Info
	data  *servable // set while AVAILABLE
	// reloadFailed is the key (see loadKey) of a reload that failed while
	// this version kept serving: it is not retried until the file or the
	// config changes again.
	reloadFailed string
	// depErr, for a loaded pipeline version, says why the models its
	// steps name no longer fit (see checkPipelines): it is FAILED while
	// set.
	depErr error

	// refs counts requests that resolved this version and have not
	// released it; retire waits for it to reach zero before unloading.
	refs int
	// inflight mirrors refs without the lock, for the batcher (a batch
	// does not wait for companions when no other request is in flight).
	inflight atomic.Int64
	retired  bool
	drained  chan struct{} // closed when retired and refs == 0
}

// servable is a loaded version's data path, immutable once built.
type servable struct {
	model  string
	run    runner.Runner // checks → shadow → batching or timing → sessions
	direct runner.Runner // run without the shadow: what a shadow of it runs
	codec  *codec.Codec
	pool   *runner.Pool   // nil for a pipeline
	batch  *batch.Batcher // nil without batching
	// cfg is the config in effect, image preprocessing completed at load.
	cfg *model.Config
	// pipe is a pipeline version's runner (nil for a model).
	pipe *pipeline.Pipeline
	// captured: run has a payload capture wrapper (it wants the encoded
	// images, runner.Encoded).
	captured bool
}

// newVersion returns a version in state LOADING.
func newVersion(name string, f repository.VersionEntry, cfg *model.Config, configID string) *Version {
	return &Version{ModelName: name, Number: f.Number, Config: cfg, file: f, configID: configID, state: StateLoading}
}

// loadKey identifies what a version is loaded from: its file and config.
func loadKey(f repository.VersionEntry, configID string) string {
	return f.FileID + "|" + configID
}

func (v *Version) key() string { return loadKey(v.file, v.configID) }

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
	st := Status{State: v.state, Err: v.err, Info: v.info}
	if v.state == StateAvailable && v.depErr != nil {
		st.State, st.Err = StateFailed, v.depErr
	}
	if v.data != nil {
		st.Inputs, st.Outputs = v.data.codec.Inputs(), v.data.codec.Outputs()
	}
	return st
}

// State returns the version's state.
func (v *Version) State() State {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.state == StateAvailable && v.depErr != nil {
		return StateFailed
	}
	return v.state
}

// servable returns the data path, or an ErrUnavailable error when the
// version is not AVAILABLE.
func (v *Version) servable() (*servable, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.state != StateAvailable || v.data == nil {
		return nil, fmt.Errorf("%w: model %q version %d is %s", ErrUnavailable, v.ModelName, v.Number, v.state)
	}
	if v.depErr != nil {
		return nil, fmt.Errorf("%w: pipeline %q version %d is FAILED: %w", ErrUnavailable, v.ModelName, v.Number, v.depErr)
	}
	return v.data, nil
}

// Codec returns the version's pre- and postprocessing; before the version
// has loaded, one from its config alone (no declarations).
func (v *Version) Codec() *codec.Codec {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.data == nil {
		return codec.New(v.ModelName, v.Config, nil, nil)
	}
	return v.data.codec
}

// Inputs returns the version's effective input declarations.
func (v *Version) Inputs() []engine.TensorInfo { return v.Status().Inputs }

// Outputs returns the version's output declarations.
func (v *Version) Outputs() []engine.TensorInfo { return v.Status().Outputs }

// Pipeline returns a loaded pipeline version's compiled pipeline (nil for
// a model, or a version not loaded).
func (v *Version) Pipeline() *pipeline.Pipeline {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.data == nil {
		return nil
	}
	return v.data.pipe
}

// Label is the version as shown to users: "1", "2", ...
func (v *Version) Label() string { return strconv.Itoa(v.Number) }

// Admit turns a request away at once (batch.ErrQueueFull) when the
// version's batching queue is full, before the caller spends anything on
// reading and decoding it. Without batching every request is admitted.
func (v *Version) Admit() error {
	v.mu.RLock()
	d := v.data
	v.mu.RUnlock()
	if d == nil || d.batch == nil {
		return nil
	}
	return d.batch.Admit()
}

// setReloadError records that a newer load of this version failed while
// this one keeps serving; Status reports it as the version's error.
func (v *Version) setReloadError(key string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.err, v.reloadFailed = err, key
}

func (v *Version) setFailed(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.state, v.err = StateFailed, err
}

func (v *Version) setAvailable(data *servable, info Info) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.data, v.info, v.state, v.err = data, info, StateAvailable, nil
}

// unload closes the version's batcher (its queued requests run first) and
// sessions; it reports whether there was anything to unload.
func (v *Version) unload() (bool, error) {
	v.mu.Lock()
	d := v.data
	if d != nil {
		v.state = StateUnloaded
	}
	v.mu.Unlock()
	if d == nil {
		return false, nil
	}
	if d.batch != nil {
		d.batch.Close()
	}
	if d.pool == nil {
		return true, nil // a pipeline: the versions it runs are their own
	}
	return d.pool.Close()
}
