package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/inferd/inferd/model"
)

// ModelFile is the file name of a version's model.
const ModelFile = "model.onnx"

// Model is one model directory as found on disk.
type Model struct {
	Name string
	Dir  string
	// Config is the parsed config.yaml; nil when ConfigErr is set.
	Config    *model.Config
	ConfigErr error
	// ConfigDigest identifies the content of config.yaml and of the labels
	// file it names, so that a change can be detected.
	ConfigDigest string
	// Versions are the numbered version directories, ascending.
	Versions []Version
}

// Version is one numbered version directory.
type Version struct {
	Number int
	Dir    string
	// Path is the model file; Err says why the version cannot load (for
	// example a missing model.onnx).
	Path string
	Err  error
	// Size and ModTime identify the model file's content for change and
	// stability detection.
	Size    int64
	ModTime time.Time
}

// FileID is a cheap identity of a version's model file.
func (v Version) FileID() string { return fmt.Sprintf("%d@%d", v.Size, v.ModTime.UnixNano()) }

// Scan reads the repository at root. It fails only when root itself cannot
// be read; problems with one model or version are recorded on it so that
// the others still load. Entries whose names start with "." or "_" are
// ignored, as are plain files.
func Scan(root string) ([]Model, error) {
	entries, err := dirRepo(root).list(context.Background())
	if err != nil {
		return nil, err
	}
	var models []Model
	for _, e := range entries {
		models = append(models, modelOf(root, e))
	}
	return models, nil
}

// modelOf turns an entry of the directory root into a Model.
func modelOf(root string, e Entry) Model {
	m := Model{Name: e.Name, Dir: filepath.Join(root, e.Name), Config: e.Config, ConfigErr: e.ConfigErr, ConfigDigest: e.ConfigID}
	for _, ve := range e.Versions {
		v := Version{Number: ve.Number, Dir: filepath.Join(m.Dir, strconv.Itoa(ve.Number)), Err: ve.Err, Size: ve.Size, ModTime: ve.ModTime}
		v.Path = filepath.Join(v.Dir, ModelFile)
		m.Versions = append(m.Versions, v)
	}
	return m
}

// FileSHA256 returns the hex sha256 and the size of a file, such as a
// version's model file.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return readSHA256(f, path)
}

// FileSHA256FS returns the hex sha256 and the size of the file name in
// fsys, such as a version's model file in a Source's FS.
func FileSHA256FS(fsys fs.FS, name string) (string, int64, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return readSHA256(f, name)
}

func readSHA256(r io.Reader, name string) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ScanModel reads one model directory of the repository at root.
func ScanModel(root, name string) (Model, error) {
	if !model.ValidName(name) {
		return Model{}, fmt.Errorf("%q is not a valid model name", name)
	}
	dir := filepath.Join(root, name)
	st, err := os.Stat(dir)
	if err != nil {
		return Model{}, err
	}
	if !st.IsDir() {
		return Model{}, fmt.Errorf("%s is not a directory", dir)
	}
	return modelOf(root, dirRepo(root).read(name)), nil
}
