package model

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/inferd/inferd/onnx"
)

// AddOptions says where `inferd model add` puts a model file and what the
// config.yaml it writes sets up.
type AddOptions struct {
	// Repository is the model repository directory (created if needed).
	Repository string
	// Name is the model's name, its directory in the repository.
	Name string
	// Version is the version number; 0 means the next free one.
	Version int
	// Labels is a labels file to copy into the model directory and name in
	// a postprocess section ("" for none).
	Labels string
	// Image adds an image preprocessing section.
	Image bool
}

// Added is what Add wrote.
type Added struct {
	Version   int
	ModelFile string
	// Config is the config.yaml written, or "" when the model directory
	// already had one (it is kept as it is).
	Config  string
	Labels  string
	Summary *Summary

	source string // the file added
}

// Add copies the ONNX model file src into the repository as
// Repository/Name/Version/model.onnx. When the model directory has no
// config.yaml yet, it writes a commented one (Scaffold) and copies the
// labels file beside it. It refuses to replace an existing version. The
// version directory is renamed into place last, complete, so that a
// server following the repository never sees half a file.
func Add(src string, o AddOptions) (*Added, error) {
	if !ValidName(o.Name) {
		return nil, fmt.Errorf("%q is not a valid model name (letters, digits, _ . -)", o.Name)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	m, err := onnx.Decode(data, onnx.WithBaseDir(filepath.Dir(src)))
	if err != nil {
		return nil, fmt.Errorf("%s is not a usable ONNX model: %w", src, err)
	}
	dir := filepath.Join(o.Repository, o.Name)
	a := &Added{Summary: Summarize(m), Version: o.Version, source: src}
	if a.Version == 0 {
		if a.Version, err = nextVersion(dir); err != nil {
			return nil, err
		}
	}
	final := filepath.Join(dir, strconv.Itoa(a.Version))
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("%s already exists: choose another --version, or remove it first", final)
	}
	files, err := a.configFiles(dir, o)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := writeFileAtomic(f.path, f.data); err != nil {
			return nil, err
		}
	}
	if err := placeVersion(dir, final, data); err != nil {
		return nil, err
	}
	a.ModelFile = filepath.Join(final, "model.onnx")
	return a, nil
}

// nextVersion returns one more than the highest version in the model
// directory dir, 1 when there is none.
func nextVersion(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	highest := 0
	for _, e := range entries {
		if n, err := ParseVersion(e.Name()); err == nil && strconv.Itoa(n) == e.Name() {
			highest = max(highest, n)
		}
	}
	return highest + 1, nil
}

// file is a file to write.
type file struct {
	path string
	data []byte
}

// configFiles returns the labels file and config.yaml to write, none when
// the model directory already has a config.yaml. It checks the config as
// a server would read it.
func (a *Added) configFiles(dir string, o AddOptions) ([]file, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err == nil {
		return nil, nil
	}
	var files []file
	so := ScaffoldOptions{Source: a.source, Image: o.Image}
	if o.Labels != "" {
		labels, err := os.ReadFile(o.Labels)
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		so.Labels = filepath.Base(o.Labels)
		a.Labels = filepath.Join(dir, so.Labels)
		files = append(files, file{a.Labels, labels})
	}
	text, err := Scaffold(a.Summary, so)
	if err != nil {
		return nil, err
	}
	var labels []byte
	if len(files) > 0 {
		labels = files[0].data
	}
	if err := checkScaffold(text, a.Summary, so.Labels, labels); err != nil {
		return nil, err
	}
	a.Config = path
	return append(files, file{path, text}), nil
}

// checkScaffold parses a written config.yaml with the model's declarations
// and its labels, as loading the model would.
func checkScaffold(text []byte, s *Summary, name string, labels []byte) error {
	c, err := Parse(text)
	if err != nil {
		return fmt.Errorf("the config.yaml written does not parse: %w", err)
	}
	if name == "" {
		return nil
	}
	list, err := parseLabels(name, labels)
	if err != nil {
		return fmt.Errorf("labels: %w", err)
	}
	c.Outputs = s.TensorOutputs()
	if err := c.Postprocess.validate(c); err != nil {
		return fmt.Errorf("postprocess.%w", err)
	}
	return c.checkLabelCount(len(list))
}

// placeVersion writes model.onnx into a staging directory of the model
// directory (ignored by the repository: not a number) and renames it to
// the version directory final.
func placeVersion(dir, final string, data []byte) error {
	stage, err := os.MkdirTemp(dir, ".add-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if err := os.WriteFile(filepath.Join(stage, "model.onnx"), data, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	return os.Rename(stage, final)
}

// writeFileAtomic writes a file through a temporary file renamed into
// place.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".add-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
