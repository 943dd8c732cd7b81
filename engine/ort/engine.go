//go:build ort

package ort

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"

	ortgo "github.com/yalue/onnxruntime_go"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
)

// Engine runs models with ONNX Runtime. The zero value uses the library
// configured with SetLibraryPath or INFERD_ORT_LIBRARY; it is registered
// with the engine registry as "ort".
type Engine struct {
	// LibraryPath, if set, is the ONNX Runtime library to open; it must be
	// the one already open if another Load opened one.
	LibraryPath string
}

func init() { engine.Register(Engine{}) }

// Name returns "ort".
func (Engine) Name() string { return Name }

// Version returns the version of the loaded ONNX Runtime library, "" before
// the first Load.
func (Engine) Version() string { return Version() }

// Load opens the ONNX Runtime library on first use and creates a session
// from the model's bytes (CreateSessionFromArray). The inputs and outputs
// are the graph's as decoded by package onnx; models that package cannot
// decode get them from ONNX Runtime's metadata.
//
// External data: ONNX Runtime reads it itself, from a directory of the
// local file system (the session option
// session.model_external_initializers_file_folder_path). Load first decodes
// the model with package onnx in m.Dir, which checks every location
// (relative, inside Dir, symbolic links included with engine.DirFS, the
// right size); then, when m.Dir is an engine.DirFS, ONNX Runtime is given
// its directory. A model with external data in any other fs.FS (or none) is
// refused with an error that says so, rather than copied to disk; for
// other models ONNX Runtime is given an empty temporary directory, so that
// it never resolves locations against the working directory.
func (e Engine) Load(ctx context.Context, m engine.ModelFile, opts engine.Options) (engine.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ensureEnv(e.LibraryPath); err != nil {
		return nil, err
	}
	so, err := sessionOptions(opts)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	dir := &openedFS{fsys: m.Dir}
	var ins, outs []port
	var g *onnx.Graph
	model, decodeErr := onnx.Decode(m.Data, onnx.WithFS(dir))
	local, isLocal := engine.LocalDir(m.Dir)
	if dir.opened && !isLocal {
		return nil, fmt.Errorf("ort: %s has external data, which ONNX Runtime reads from a local directory: its Dir must be an engine.DirFS (as engine.ReadFile makes)", m.Name)
	}
	if !isLocal {
		tmp, err := os.MkdirTemp("", "inferd-ort-empty-")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		local = tmp
	}
	if err := so.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", local); err != nil {
		return nil, fmt.Errorf("onnxruntime session options: %w", err)
	}
	switch {
	case decodeErr == nil:
		g = model.Graph
		ins, outs = portsFromGraph(g)
	case strings.Contains(decodeErr.Error(), "external data"):
		// The decoder refused an external data location: ONNX Runtime's
		// metadata session, which takes no options, is not asked.
		return nil, fmt.Errorf("load %s: %w", m.Name, decodeErr)
	default:
		if ins, outs, err = portsFromSession(m.Data); err != nil {
			return nil, fmt.Errorf("load %s: onnxruntime: %w (and inferd's decoder: %w)", m.Name, err, decodeErr)
		}
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("%s: models without inputs are not supported: onnxruntime_go cannot run them", m.Name)
	}
	sess, err := ortgo.NewDynamicAdvancedSessionWithONNXData(m.Data, names(ins), names(outs), so)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", m.Name, loadError(err, g))
	}
	if err := ctx.Err(); err != nil {
		sess.Destroy()
		return nil, err
	}
	s := &session{sess: sess, inputs: ins, outputs: outs, inInfos: infos(ins), needDims: needsDims(outs)}
	for _, p := range ins {
		if !p.isTensor() {
			s.valueInputs = append(s.valueInputs, p.info.Name)
		}
	}
	opts.Log().Debug("ort: model loaded", "model", m.Name, "inputs", len(ins), "outputs", len(outs),
		"intra_op_threads", opts.IntraOpThreads, "inter_op_threads", opts.InterOpThreads, "onnxruntime", Version())
	return s, nil
}

// openedFS records whether the decoder opened (or tried to open) a file:
// whether the model has external data.
type openedFS struct {
	fsys   fs.FS
	opened bool
}

func (o *openedFS) Open(name string) (fs.File, error) {
	o.opened = true
	if o.fsys == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return o.fsys.Open(name)
}

// sessionOptions translates engine options: intra-op threads as given (0:
// ONNX Runtime's default, one per physical core); inter-op threads above 1
// turn on the parallel execution of independent nodes.
func sessionOptions(opts engine.Options) (*ortgo.SessionOptions, error) {
	if opts.IntraOpThreads < 0 || opts.InterOpThreads < 0 {
		return nil, fmt.Errorf("thread counts must not be negative (intra-op %d, inter-op %d)", opts.IntraOpThreads, opts.InterOpThreads)
	}
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	// Run errors come back as Go errors; ONNX Runtime need not also log
	// them to stderr.
	err = so.SetLogSeverityLevel(ortgo.LoggingLevelFatal)
	if err == nil && opts.IntraOpThreads > 0 {
		err = so.SetIntraOpNumThreads(opts.IntraOpThreads)
	}
	if err == nil && opts.InterOpThreads > 1 {
		if err = so.SetExecutionMode(ortgo.ExecutionModeParallel); err == nil {
			err = so.SetInterOpNumThreads(opts.InterOpThreads)
		}
	}
	if err != nil {
		so.Destroy()
		return nil, fmt.Errorf("onnxruntime session options: %w", err)
	}
	return so, nil
}

var _ engine.Engine = Engine{}
