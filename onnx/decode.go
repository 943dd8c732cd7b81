package onnx

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Decode parses a serialized ONNX ModelProto and converts it into a Model,
// validating it on the way (see ErrInvalidModel). External tensor data is
// resolved against the directory given with WithBaseDir; without one,
// models that use external data are rejected. Nodes that the file lists
// out of topological order are sorted; cycles are rejected.
func Decode(data []byte, opts ...Option) (*Model, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		return nil, invalid(fmt.Errorf("parse protobuf: %w", err))
	}
	d := newDecoder(opts)
	defer d.close()
	m, err := d.model(&mp)
	if err != nil {
		return nil, invalid(err)
	}
	return m, nil
}

// Load reads and decodes the model file at path. External data is resolved
// relative to the file's directory (options may override it with
// WithBaseDir).
func Load(path string, opts ...Option) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load ONNX model: %w", err)
	}
	opts = append([]Option{WithBaseDir(filepath.Dir(path))}, opts...)
	m, err := Decode(data, opts...)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

// decoder carries the options and the lazily opened model directory through
// one decoding.
type decoder struct {
	opts options
	root *os.Root // the base directory, opened on first external tensor
	used int64    // bytes of the tensors made so far (see WithMaxBytes)
}

// charge counts n more bytes of tensors, failing when they would exceed
// the limit given with WithMaxBytes.
func (d *decoder) charge(n int64) error {
	if d.opts.maxBytes > 0 && n > d.opts.maxBytes-d.used {
		return fmt.Errorf("%w: needs %d bytes, which would bring the model's tensors to %d bytes, more than the limit of %d bytes",
			ErrTooLarge, n, d.used+n, d.opts.maxBytes)
	}
	d.used += n
	return nil
}

func newDecoder(opts []Option) *decoder { return &decoder{opts: newOptions(opts)} }

// close releases the base directory handle, if one was opened.
func (d *decoder) close() {
	if d.root != nil {
		d.root.Close()
		d.root = nil
	}
}

func (d *decoder) model(mp *onnxpb.ModelProto) (*Model, error) {
	m := &Model{
		IRVersion:       mp.GetIrVersion(),
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		DocString:       mp.GetDocString(),
		Opsets:          make(map[string]int64, len(mp.GetOpsetImport())),
		Metadata:        make(map[string]string, len(mp.GetMetadataProps())),
	}
	for _, op := range mp.GetOpsetImport() {
		domain := op.GetDomain()
		if domain == "ai.onnx" {
			domain = ""
		}
		if _, dup := m.Opsets[domain]; dup {
			return nil, fmt.Errorf("opset domain %q imported twice", op.GetDomain())
		}
		if op.GetVersion() < 1 {
			return nil, fmt.Errorf("opset domain %q has version %d", op.GetDomain(), op.GetVersion())
		}
		m.Opsets[domain] = op.GetVersion()
	}
	for _, kv := range mp.GetMetadataProps() {
		m.Metadata[kv.GetKey()] = kv.GetValue()
	}
	if mp.GetGraph() == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	g, err := d.graph(mp.GetGraph(), 0)
	if err != nil {
		return nil, err
	}
	if _, err := validateGraph(g, nil); err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}
