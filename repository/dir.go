package repository

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/inferd/inferd/engine"
)

// DefaultPollInterval is how often a source's Watch reports a possible
// change when nothing else does: the polling fallback where change
// notifications are unavailable (network file systems, exhausted inotify
// watches, object storage), and a safety net where they are.
const DefaultPollInterval = 10 * time.Second

// debounce groups the burst of file events a copy produces into one
// notification.
const debounce = 100 * time.Millisecond

// Option configures a source.
type Option func(*options)

type options struct {
	poll time.Duration
	log  *slog.Logger
}

// WithPollInterval sets how often Watch reports a possible change even
// without a notification (default DefaultPollInterval; d <= 0 keeps it).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.poll = d
		}
	}
}

// WithLogger sets the logger of a source (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

func newOptions(opts []Option) options {
	o := options{poll: DefaultPollInterval, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// dirSource is the Source of a local directory.
type dirSource struct {
	root string
	repo fsRepo
	opts options
}

// NewDir returns the source of the repository in the local directory
// root: root/<model>/config.yaml, root/<model>/<N>/model.onnx. Names
// starting with "." or "_" and plain files are ignored; symlinked model
// and version directories are followed. A model file's FileID is its
// size@mtime. Watch uses file notifications (fsnotify) on the root, the
// model directories and their subdirectories, and polls as a safety net.
func NewDir(root string, opts ...Option) Source {
	return &dirSource{root: root, repo: dirRepo(root), opts: newOptions(opts)}
}

// dirRepo reads the repository in the local directory root; messages name
// files by their paths under root.
func dirRepo(root string) fsRepo {
	fsRoot := root
	if fsRoot == "" {
		fsRoot = "." // os.DirFS("") opens nothing
	}
	return fsRepo{
		fsys:    os.DirFS(fsRoot),
		display: func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) },
		modelFS: func(name string) fs.FS { return modelDir(filepath.Join(fsRoot, name)) },
	}
}

// List implements Source.
func (d *dirSource) List(ctx context.Context) ([]Entry, error) { return d.repo.list(ctx) }

// Get implements Source.
func (d *dirSource) Get(ctx context.Context, name string) (Entry, error) {
	return d.repo.get(ctx, name)
}

// FS implements Source: the model's directory, held to it (modelDir).
func (d *dirSource) FS(name string) (fs.FS, error) {
	return d.repo.sub(name)
}

// modelDir is the files of a model directory, which symbolic links cannot
// lead out of (engine.DirFS, an os.Root): labels, warmup samples and the
// files of a version stay inside their folders. A version directory may
// itself be a symbolic link (the repository's layout is the operator's):
// the files below it are held to the folder it points to.
type modelDir string

// Open implements fs.FS.
func (d modelDir) Open(name string) (fs.File, error) {
	fsys, rest := d.split(name)
	return fsys.Open(rest)
}

// Stat implements fs.StatFS.
func (d modelDir) Stat(name string) (fs.FileInfo, error) {
	fsys, rest := d.split(name)
	return fs.Stat(fsys, rest)
}

// split returns the folder that holds name (the version directory for a
// file of a version, else the model directory) and name within it.
func (d modelDir) split(name string) (fs.FS, string) {
	first, rest, ok := strings.Cut(name, "/")
	if n, err := strconv.Atoi(first); ok && err == nil && n > 0 && fs.ValidPath(name) {
		return engine.DirFS(filepath.Join(string(d), first)), rest
	}
	return engine.DirFS(string(d)), name
}

// String implements Source.
func (d *dirSource) String() string { return "dir " + d.root }

func (d *dirSource) localDir(name string) (string, bool) { return filepath.Join(d.root, name), true }

// Watch implements Source. It reports file notifications from the root,
// the model directories and their subdirectories (directories that appear
// are added as they do), debounced, and a possible change every poll
// interval.
func (d *dirSource) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	go d.watch(ctx, ch)
	return ch
}

func (d *dirSource) watch(ctx context.Context, ch chan<- struct{}) {
	defer close(ch)
	log := d.opts.log
	notify := func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("file notifications unavailable; polling the repository", "dir", d.root, "interval", d.opts.poll, "err", err)
	} else {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	watched := map[string]bool{}
	d.watchDirs(w, watched)

	ticker := time.NewTicker(d.opts.poll)
	defer ticker.Stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			log.Debug("repository changed", "path", ev.Name, "op", ev.Op.String())
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				delete(watched, ev.Name) // watch it again should it come back
			}
			timer.Reset(debounce)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn("file notifications", "dir", d.root, "err", err)
		case <-timer.C:
			d.watchDirs(w, watched)
			notify()
		case <-ticker.C:
			d.watchDirs(w, watched)
			notify()
		}
	}
}

// watchDirs adds the root, its model directories and their subdirectories
// (versions, and others that may hold a labels file) to the watcher, once
// each, before the consumer is told to read them. Directories that went
// away are dropped by fsnotify itself.
func (d *dirSource) watchDirs(w *fsnotify.Watcher, watched map[string]bool) {
	if w == nil {
		return
	}
	add := func(dir string) {
		if watched[dir] {
			return
		}
		if err := w.Add(dir); err != nil {
			d.opts.log.Debug("cannot watch directory", "dir", dir, "err", err)
			return
		}
		watched[dir] = true
	}
	for dir := range watched {
		if _, err := os.Stat(dir); err != nil {
			delete(watched, dir)
		}
	}
	add(d.root)
	models, _ := os.ReadDir(d.root)
	for _, md := range models {
		if ignored(md.Name()) {
			continue
		}
		dir := filepath.Join(d.root, md.Name())
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		add(dir)
		subs, _ := os.ReadDir(dir)
		for _, sd := range subs {
			sub := filepath.Join(dir, sd.Name())
			if st, err := os.Stat(sub); err == nil && st.IsDir() {
				add(sub)
			}
		}
	}
}
