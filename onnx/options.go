package onnx

import "io/fs"

// Option configures Decode, Load and the value decoders.
type Option func(*options)

type options struct {
	baseDir        string
	fsys           fs.FS
	maxSparseBytes int64
	maxBytes       int64
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
// without it (or WithFS), Decode rejects models that use external data.
// Symbolic links that lead out of dir are refused (os.Root). Of WithBaseDir
// and WithFS, the last one given counts.
func WithBaseDir(dir string) Option { return func(o *options) { o.baseDir, o.fsys = dir, nil } }

// WithFS sets the files that external tensor data is resolved in: the
// files next to the model, such as os.DirFS of its directory or the
// objects under its key prefix. A nil fsys means none. Locations must be relative and stay inside it (the
// decoder refuses absolute and escaping ones before fsys sees them, and
// fsys.Open refuses paths that are not fs.ValidPath); with an os.DirFS,
// symbolic links may lead out of the directory, which an fs.FS made with
// os.Root's FS method (or engine.DirFS) refuses.
func WithFS(fsys fs.FS) Option {
	return func(o *options) {
		o.fsys, o.baseDir = fsys, ""
	}
}

// WithMaxSparseBytes bounds the size in bytes of one sparse tensor once it
// is densified (strings count 16 bytes per element). A sparse tensor is
// small on disk but may describe a huge dense shape, so this limit is what
// stops a small file from making the decoder allocate gigabytes. The
// default is DefaultMaxSparseBytes.
func WithMaxSparseBytes(n int64) Option { return func(o *options) { o.maxSparseBytes = n } }

// WithMaxBytes bounds the total size in bytes of the tensors one decoding
// makes: initializers, tensor attributes (Constant values), sparse tensors
// once densified, and tensors within values (strings count 16 bytes per
// element). Each tensor is charged from its dims and data type before its
// data is read or converted, so an initializer that claims gigabytes in a
// small (or sparse) external file is refused without allocating them. 0,
// the default, means no limit. Errors wrap ErrTooLarge.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }
