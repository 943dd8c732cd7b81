package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inferd/inferd/model"
)

// Entry is one model of the repository as its source lists it.
type Entry struct {
	Name string
	// Config is the parsed config.yaml, or the default config when the
	// model directory has none; nil when ConfigErr is set.
	Config    *model.Config
	ConfigErr error
	// ConfigID identifies the content of config.yaml and of the labels
	// file it names (a digest), so that a change can be detected.
	ConfigID string
	// Versions are the numbered version directories, ascending.
	Versions []VersionEntry
	// Routing is routing.yaml, the labels and traffic changed through the
	// API (nil when there is none, or RoutingErr says why it is unusable);
	// RoutingID identifies its content for compare-and-swap writes ("" when
	// there is no file).
	Routing    *model.Routing
	RoutingErr error
	RoutingID  string
}

// VersionEntry is one numbered version of an Entry.
type VersionEntry struct {
	Number int
	// File is the model file within the model's FS, such as "3/model.onnx".
	File string
	// FileID is a cheap identity of the model file's content: size@mtime
	// (nanoseconds) locally, an ETag in object storage. It is empty when
	// Err is set.
	FileID string
	Size   int64
	// ModTime is when the model file was last modified, as far as the
	// source knows (zero when it does not).
	ModTime time.Time
	// Err says why the version cannot load, for example a missing
	// model.onnx.
	Err error
}

// Source is where a model repository's entries and files come from: a
// local directory (NewDir), memory (NewMemory), object storage. Wrap it in
// Settled to see only files that have stopped changing.
type Source interface {
	// List returns every entry, sorted by name. It fails only when the
	// repository itself cannot be read; problems with one model or version
	// are recorded on its entry so that the others still load.
	List(ctx context.Context) ([]Entry, error)
	// Get returns one entry; an error wrapping fs.ErrNotExist when there
	// is none (or the name is invalid).
	Get(ctx context.Context, name string) (Entry, error)
	// FS returns the files of one model directory: config.yaml, the
	// labels file, N/model.onnx, external data, warmup samples.
	FS(name string) (fs.FS, error)
	// Watch returns a channel that receives a value whenever the
	// repository may have changed, until ctx is done; then it is closed.
	// Sends never block: changes that come while a value waits are
	// coalesced into it. Nothing is sent for the state when Watch is
	// called: list first, then watch.
	Watch(ctx context.Context) <-chan struct{}
	// String describes the source for logs ("dir /path", "memory").
	String() string
}

// fileIDer is implemented by the fs.FileInfo.Sys of sources whose files
// have an identity other than size@mtime, such as Memory's generations or
// an object store's ETags.
type fileIDer interface{ FileID() string }

// fileID returns the identity of a model file's content.
func fileID(st fs.FileInfo) string {
	if id, ok := st.Sys().(fileIDer); ok {
		return id.FileID()
	}
	return fmt.Sprintf("%d@%d", st.Size(), st.ModTime().UnixNano())
}

// fsRepo reads a repository laid out in an fs.FS: one directory per model
// holding config.yaml and one numbered directory per version holding
// model.onnx. It is the one reading of that layout that the sources share.
type fsRepo struct {
	fsys fs.FS
	// display names a slash-separated path of fsys in messages and as a
	// Config's Dir, such as the file path it stands for. "." is the root.
	display func(p string) string
	// modelFS, if set, returns the files of a model directory (else
	// fs.Sub of fsys): for sources that hold them to the directory.
	modelFS func(name string) fs.FS
}

// model returns the files of the model directory name.
func (r fsRepo) model(name string) (fs.FS, error) {
	if r.modelFS != nil {
		return r.modelFS(name), nil
	}
	return fs.Sub(r.fsys, name)
}

// ignored reports whether a name of the repository's root is not a model:
// hidden and staging directories.
func ignored(name string) bool { return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") }

// list reads every entry, sorted by name. Names starting with "." or "_"
// and plain files are ignored; directory symlinks are followed where fsys
// follows them in Stat.
func (r fsRepo) list(ctx context.Context) ([]Entry, error) {
	dirents, err := fs.ReadDir(r.fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading model repository: %w", r.rebase(".", err))
	}
	var entries []Entry
	for _, d := range dirents {
		name := d.Name()
		if ignored(name) || !isDirFS(r.fsys, ".", d) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		entries = append(entries, r.read(name))
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return entries, nil
}

// get reads one entry; an error wrapping fs.ErrNotExist when there is no
// such model directory or the name cannot name a model.
func (r fsRepo) get(ctx context.Context, name string) (Entry, error) {
	if err := r.checkModel(name); err != nil {
		return Entry{}, err
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	return r.read(name), nil
}

// checkModel fails with an error wrapping fs.ErrNotExist unless name is a
// valid model name whose directory exists.
func (r fsRepo) checkModel(name string) error {
	if !model.ValidName(name) || ignored(name) {
		return fmt.Errorf("%q is not a valid model name: %w", name, fs.ErrNotExist)
	}
	st, err := fs.Stat(r.fsys, name)
	if err != nil {
		return fmt.Errorf("model %s: %w", name, r.rebase(".", err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory: %w", r.display(name), fs.ErrNotExist)
	}
	return nil
}

// sub returns the files of one model directory.
func (r fsRepo) sub(name string) (fs.FS, error) {
	if err := r.checkModel(name); err != nil {
		return nil, err
	}
	return r.model(name)
}

// read reads one model directory. Problems are recorded on the entry.
func (r fsRepo) read(name string) Entry {
	e := Entry{Name: name}
	if !model.ValidName(name) {
		e.ConfigErr = fmt.Errorf("%q is not a valid model name (letters, digits, _ . -)", name)
		return e
	}
	sub, err := r.model(name)
	if err != nil {
		e.ConfigErr = err
		return e
	}
	e.Config, e.ConfigErr = model.LoadFS(sub, r.display(name))
	e.ConfigID = configID(sub, e.Config)
	e.Routing, e.RoutingID, e.RoutingErr = readRouting(sub)
	// The directory and the model files are read in r.fsys itself rather
	// than sub, which may not implement fs.StatFS.
	dirents, err := fs.ReadDir(r.fsys, name)
	if err != nil {
		e.Config, e.ConfigErr = nil, errors.Join(e.ConfigErr, r.rebase(".", err))
		return e
	}
	for _, d := range dirents {
		n, err := strconv.Atoi(d.Name())
		if err != nil || n <= 0 || strconv.Itoa(n) != d.Name() || !isDirFS(r.fsys, name, d) {
			continue // not a version directory (versions are 1, 2, ...)
		}
		file := e.Config.VersionFile() // pipeline.yaml for a pipeline
		v := VersionEntry{Number: n, File: d.Name() + "/" + file}
		if st, err := fs.Stat(r.fsys, name+"/"+v.File); err != nil {
			v.Err = fmt.Errorf("version %d has no %s: %w", n, file, r.rebase(".", err))
		} else if !st.Mode().IsRegular() {
			v.Err = fmt.Errorf("version %d: %s is not a regular file", n, file)
		} else {
			v.Size, v.ModTime, v.FileID = st.Size(), st.ModTime(), fileID(st)
		}
		e.Versions = append(e.Versions, v)
	}
	slices.SortFunc(e.Versions, func(a, b VersionEntry) int { return a.Number - b.Number })
	return e
}

// rebase makes an fs.PathError from the directory dir of fsys (a path
// relative to it) name the file as the source displays it.
func (r fsRepo) rebase(dir string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && fs.ValidPath(pe.Path) {
		return &fs.PathError{Op: pe.Op, Path: r.display(path.Join(dir, pe.Path)), Err: pe.Err}
	}
	return err
}

// readRouting reads routing.yaml, if there is one.
func readRouting(fsys fs.FS) (*model.Routing, string, error) {
	b, err := fs.ReadFile(fsys, model.RoutingFileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	id := RoutingID(b)
	r, err := model.ParseRouting(b)
	return r, id, err
}

// RoutingID identifies the content of a routing file.
func RoutingID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ErrConflict is returned by RoutingWriter.WriteRouting when the routing
// file is no longer the one the write was based on.
var ErrConflict = errors.New("changed by someone else since it was read")

// RoutingWriter is implemented by sources that can store routing.yaml, so
// that API changes to labels and traffic reach every replica and survive
// restarts.
type RoutingWriter interface {
	// WriteRouting replaces the named model's routing.yaml with data if
	// its content is still the one ifID identifies ("": there is none);
	// otherwise it fails with an error wrapping ErrConflict.
	WriteRouting(ctx context.Context, name string, data []byte, ifID string) error
}

// Writer returns the RoutingWriter of src or of the source it wraps.
func Writer(src Source) (RoutingWriter, bool) {
	for src != nil {
		if w, ok := src.(RoutingWriter); ok {
			return w, true
		}
		u, ok := src.(unwrapper)
		if !ok {
			return nil, false
		}
		src = u.Unwrap()
	}
	return nil, false
}

// configID hashes config.yaml and the labels file it names.
func configID(fsys fs.FS, c *model.Config) string {
	h := sha256.New()
	b, _ := fs.ReadFile(fsys, model.FileName)
	h.Write(b)
	if c != nil && c.Postprocess != nil && c.Postprocess.Labels != "" {
		h.Write([]byte{0})
		if p, err := model.FSPath(c.Postprocess.Labels); err == nil {
			l, _ := fs.ReadFile(fsys, p)
			h.Write(l)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// isDirFS reports whether d, an entry of the directory dir of fsys, is a
// directory, following a symlink.
func isDirFS(fsys fs.FS, dir string, d fs.DirEntry) bool {
	if d.IsDir() {
		return true
	}
	if d.Type()&fs.ModeSymlink != 0 {
		st, err := fs.Stat(fsys, path.Join(dir, d.Name()))
		return err == nil && st.IsDir()
	}
	return false
}

// unwrapper is implemented by sources that wrap another, such as Settled.
type unwrapper interface{ Unwrap() Source }

// localDirer is implemented by sources whose models are local directories.
type localDirer interface {
	localDir(name string) (string, bool)
}

// LocalDir returns the local directory of the named model when src, or the
// source it wraps, reads a local directory (NewDir), for engines and
// readers that need file paths rather than an fs.FS. It does not check
// that the directory exists.
func LocalDir(src Source, name string) (string, bool) {
	for src != nil {
		if l, ok := src.(localDirer); ok {
			return l.localDir(name)
		}
		u, ok := src.(unwrapper)
		if !ok {
			break
		}
		src = u.Unwrap()
	}
	return "", false
}
