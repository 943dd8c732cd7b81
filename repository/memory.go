package repository

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"strings"
	"sync"
	"testing/fstest"
	"time"
)

// Memory is a Source held in memory, for tests: paths such as
// "digits/config.yaml" and "digits/1/model.onnx" map to contents. Every Put
// and Remove notifies the watchers. It is safe for concurrent use, and the
// FS it returns for a model is a snapshot that later changes do not touch.
type Memory struct {
	mu    sync.Mutex
	files map[string]*fstest.MapFile // never modified once stored
	gen   uint64
	now   func() time.Time
	subs  broadcaster
}

// NewMemory returns an empty in-memory source. Modification times count
// seconds from the Unix epoch, one per change, unless SetClock sets a
// clock.
func NewMemory() *Memory { return &Memory{files: map[string]*fstest.MapFile{}} }

// SetClock sets the clock that stamps the modification times of files
// put from now on.
func (m *Memory) SetClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = now
}

// memID is the fs.FileInfo.Sys of a file in Memory: its identity changes
// with every Put, even of the same content at the same time.
type memID struct {
	size int64
	gen  uint64
}

// FileID is the VersionEntry.FileID of the file.
func (id memID) FileID() string { return fmt.Sprintf("%d@gen%d", id.size, id.gen) }

// Put stores data (copied) at the slash-separated path p, replacing a file
// that was there; a path ending in "/" makes an empty directory. Parent
// directories exist implicitly. It panics when p is not a valid fs.FS
// path.
func (m *Memory) Put(p string, data []byte) {
	dir := strings.HasSuffix(p, "/") && p != "/"
	p = strings.TrimSuffix(p, "/")
	if !fs.ValidPath(p) || p == "." {
		panic(fmt.Sprintf("repository.Memory.Put: invalid path %q", p))
	}
	m.mu.Lock()
	m.putLocked(p, data, dir)
	m.mu.Unlock()
	m.subs.notify()
}

// putLocked stores a file or directory; m.mu is held.
func (m *Memory) putLocked(p string, data []byte, dir bool) {
	m.gen++
	mt := time.Unix(int64(m.gen), 0).UTC()
	if m.now != nil {
		mt = m.now()
	}
	f := &fstest.MapFile{Mode: 0o644, ModTime: mt, Sys: memID{size: int64(len(data)), gen: m.gen}}
	if dir {
		f = &fstest.MapFile{Mode: fs.ModeDir | 0o755, ModTime: mt}
	} else {
		f.Data = append([]byte(nil), data...)
	}
	m.files[p] = f
}

// Remove removes the file or directory at the slash-separated path p,
// with everything under it. As in object storage, a directory not made
// with Put exists only while it holds a file. Removing nothing notifies
// nobody.
func (m *Memory) Remove(p string) {
	p = strings.TrimSuffix(p, "/")
	m.mu.Lock()
	n := len(m.files)
	maps.DeleteFunc(m.files, func(name string, _ *fstest.MapFile) bool {
		return name == p || strings.HasPrefix(name, p+"/") || p == "."
	})
	removed := len(m.files) < n
	if removed {
		m.gen++
	}
	m.mu.Unlock()
	if removed {
		m.subs.notify()
	}
}

// snapshot returns the repository as it is now.
func (m *Memory) snapshot() fsRepo {
	m.mu.Lock()
	files := maps.Clone(fstest.MapFS(m.files))
	m.mu.Unlock()
	return fsRepo{fsys: files, display: func(p string) string {
		if p == "." {
			return "memory:/"
		}
		return "memory:/" + p
	}}
}

// List implements Source.
func (m *Memory) List(ctx context.Context) ([]Entry, error) { return m.snapshot().list(ctx) }

// Get implements Source.
func (m *Memory) Get(ctx context.Context, name string) (Entry, error) {
	return m.snapshot().get(ctx, name)
}

// FS implements Source: a snapshot of the model's files.
func (m *Memory) FS(name string) (fs.FS, error) { return m.snapshot().sub(name) }

// Watch implements Source: every Put and Remove sends.
func (m *Memory) Watch(ctx context.Context) <-chan struct{} { return m.subs.subscribe(ctx) }

// String implements Source.
func (m *Memory) String() string { return "memory" }

// broadcaster sends to the channels of the Watch calls of a source.
type broadcaster struct {
	mu   sync.Mutex
	subs map[chan struct{}]bool
}

// subscribe returns a channel that receives notify's sends until ctx is
// done, then closes.
func (b *broadcaster) subscribe(ctx context.Context) chan struct{} {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan struct{}]bool{}
	}
	b.subs[ch] = true
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, ch)
		close(ch)
	})
	return ch
}

// notify sends to every channel without blocking.
func (b *broadcaster) notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		trySend(ch)
	}
}

// send sends to one channel if it is still subscribed, without blocking.
func (b *broadcaster) send(ch chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs[ch] {
		trySend(ch)
	}
}

func trySend(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
