package repository

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	m.ConfigDigest = configDigest(dir, m.Config)
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
		} else {
			v.Size, v.ModTime = st.Size(), st.ModTime()
		}
		m.Versions = append(m.Versions, v)
	}
	slices.SortFunc(m.Versions, func(a, b Version) int { return a.Number - b.Number })
	return m
}

// configDigest hashes config.yaml and the labels file it names.
func configDigest(dir string, c *model.Config) string {
	h := sha256.New()
	b, _ := os.ReadFile(filepath.Join(dir, model.FileName))
	h.Write(b)
	if c != nil && c.Postprocess != nil && c.Postprocess.Labels != "" {
		h.Write([]byte{0})
		l, _ := os.ReadFile(filepath.Join(dir, c.Postprocess.Labels))
		h.Write(l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FileSHA256 returns the hex sha256 and the size of a file, such as a
// version's model file.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", path, err)
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
	return scanModel(dir, name), nil
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
