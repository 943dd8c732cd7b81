package engine

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ModelFile is a model to load: the ONNX bytes and the files beside it.
// Engines read it whole from memory, so that a model may come from a local
// file (ReadFile), an object store or a test's buffer alike.
type ModelFile struct {
	// Name names the model in messages: a path or an object key.
	Name string
	// Data is the serialized ONNX ModelProto.
	Data []byte
	// Dir holds the files next to the model: the model's external data
	// locations (relative paths, which must stay inside it) are opened in
	// it. nil means none: models with external data then fail to load.
	// Engines that need a directory of the local file system (ONNX
	// Runtime, for external data) get it with LocalDir, so local models
	// should use DirFS.
	Dir fs.FS
}

// ReadFile reads the model file at path, with the files of its directory
// (DirFS) as Dir and path as Name. The error of a missing file names the
// path and wraps fs.ErrNotExist.
func ReadFile(path string) (ModelFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ModelFile{}, fmt.Errorf("load ONNX model: %w", err)
	}
	return ModelFile{Name: path, Data: data, Dir: DirFS(filepath.Dir(path))}, nil
}

// LoadPath loads the model file at path with e: ReadFile, then e.Load. It
// is for command-line tools and tests.
func LoadPath(ctx context.Context, e Engine, path string, opts Options) (Session, error) {
	m, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return e.Load(ctx, m, opts)
}

// DirFS returns the files under the local directory dir as an fs.FS, as
// os.DirFS does, except that symbolic links cannot lead out of dir: every
// Open goes through an os.Root, as the ONNX decoder's own directory
// handling does. (os.DirFS would follow a link to any file, which would let
// a model's external data location read files outside its directory.)
// LocalDir recovers dir.
func DirFS(dir string) fs.FS { return localDir(dir) }

// LocalDir returns the local directory of a file system made by DirFS. It
// is for engines that must hand a directory path to a library.
func LocalDir(fsys fs.FS) (dir string, ok bool) {
	d, ok := fsys.(localDir)
	return string(d), ok
}

// localDir is DirFS's file system: a directory path.
type localDir string

// Open opens name below the directory. The os.Root is closed at once: the
// file it opened stays open. The file is opened without blocking, so that
// opening a named pipe or a device returns at once (callers that read
// data check that Stat reports a regular file first); a regular file reads
// as usual.
func (d localDir) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.OpenFile(filepath.FromSlash(name), os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// Stat describes name below the directory without opening it (fs.StatFS),
// following symbolic links that stay inside the directory.
func (d localDir) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	root, err := os.OpenRoot(string(d))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.Stat(filepath.FromSlash(name))
}
