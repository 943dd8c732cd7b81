//go:build ort

package ort

import (
	"context"
	"fmt"
	"os"

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
// for the model at path (external data resolved relative to its directory).
// The inputs and outputs are the graph's as decoded by package onnx; models
// that package cannot decode get them from ONNX Runtime's metadata.
func (e Engine) Load(ctx context.Context, path string, opts engine.Options) (engine.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := ensureEnv(e.LibraryPath); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("load ONNX model: %w", err)
	}
	so, err := sessionOptions(opts)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	var ins, outs []port
	var g *onnx.Graph
	m, decodeErr := onnx.Load(path)
	if decodeErr == nil {
		g = m.Graph
		ins, outs = portsFromGraph(g)
	} else if ins, outs, err = portsFromSession(path, so); err != nil {
		return nil, fmt.Errorf("onnxruntime: %w (and inferd's decoder: %w)", err, decodeErr)
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("%s: models without inputs are not supported: onnxruntime_go cannot run them", path)
	}
	sess, err := ortgo.NewDynamicAdvancedSession(path, names(ins), names(outs), so)
	if err != nil {
		return nil, loadError(err, g)
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
	opts.Log().Debug("ort: model loaded", "path", path, "inputs", len(ins), "outputs", len(outs),
		"intra_op_threads", opts.IntraOpThreads, "inter_op_threads", opts.InterOpThreads, "onnxruntime", Version())
	return s, nil
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
