package repository

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

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
}

// Scan reads the repository at root. It fails only when root itself cannot
// be read; problems with one model or version are recorded on it so that
// the others still load. Entries whose names start with "." or "_" are
// ignored, as are plain files.
func Scan(root string) ([]Model, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("reading model repository: %w", err)
	}
	var models []Model
	for _, e := range entries {
		name := e.Name()
		if !isDir(root, e) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		models = append(models, scanModel(filepath.Join(root, name), name))
	}
	return models, nil
}

func scanModel(dir, name string) Model {
	m := Model{Name: name, Dir: dir}
	if !model.ValidName(name) {
		m.ConfigErr = fmt.Errorf("%q is not a valid model name (letters, digits, _ . -)", name)
		return m
	}
	m.Config, m.ConfigErr = model.Load(dir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		m.ConfigErr = errors.Join(m.ConfigErr, err)
		return m
	}
	for _, e := range entries {
		if !isDir(dir, e) {
			continue
		}
		n, err := strconv.Atoi(e.Name())
		if err != nil || n <= 0 || strconv.Itoa(n) != e.Name() {
			continue // not a version directory (versions are 1, 2, ...)
		}
		v := Version{Number: n, Dir: filepath.Join(dir, e.Name())}
		v.Path = filepath.Join(v.Dir, ModelFile)
		if st, err := os.Stat(v.Path); err != nil {
			v.Err = fmt.Errorf("version %d has no %s: %w", n, ModelFile, err)
		} else if !st.Mode().IsRegular() {
			v.Err = fmt.Errorf("version %d: %s is not a regular file", n, ModelFile)
		}
		m.Versions = append(m.Versions, v)
	}
	slices.SortFunc(m.Versions, func(a, b Version) int { return a.Number - b.Number })
	return m
}

// isDir reports whether e is a directory, following a symlink.
func isDir(parent string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink != 0 {
		st, err := os.Stat(filepath.Join(parent, e.Name()))
		return err == nil && st.IsDir()
	}
	return false
}
