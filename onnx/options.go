package onnx

// Option configures Decode, Load and the value decoders.
type Option func(*options)

type options struct {
	baseDir        string
	maxSparseBytes int64
}

// DefaultMaxSparseBytes is the default bound on the size of one densified
// sparse tensor (see WithMaxSparseBytes).
const DefaultMaxSparseBytes = 256 << 20

func newOptions(opts []Option) options {
	o := options{maxSparseBytes: DefaultMaxSparseBytes}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithBaseDir sets the directory that external tensor data (data_location
// EXTERNAL) is resolved against. Load sets it to the model file's directory;
// without it, Decode rejects models that use external data.
func WithBaseDir(dir string) Option { return func(o *options) { o.baseDir = dir } }

// WithMaxSparseBytes bounds the size in bytes of one sparse tensor once it
// is densified (strings count 16 bytes per element). A sparse tensor is
// small on disk but may describe a huge dense shape, so this limit is what
// stops a small file from making the decoder allocate gigabytes. The
// default is DefaultMaxSparseBytes.
func WithMaxSparseBytes(n int64) Option { return func(o *options) { o.maxSparseBytes = n } }
