package serving

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultPollInterval is how often the repository is read again when
// nothing else asks for it: the polling fallback where file notifications
// are unavailable (network file systems, exhausted inotify watches), and a
// safety net where they are.
const DefaultPollInterval = 10 * time.Second

// debounce groups the burst of events a copy produces into one sync.
const debounce = 100 * time.Millisecond

// Watch keeps the served versions in line with the repository until ctx is
// done: it syncs on file notifications (fsnotify), after a new file has had
// time to settle, and every poll interval. Under explicit control it only
// waits, as models then change through LoadModel and UnloadModel.
func (m *Manager) Watch(ctx context.Context, poll time.Duration) error {
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	if m.explicit {
		<-ctx.Done()
		return nil
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	w, err := fsnotify.NewWatcher()
	if err != nil {
		m.log.Warn("file notifications unavailable; polling the repository", "interval", poll, "err", err)
	} else {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	watched := map[string]bool{}
	m.watchDirs(w, watched)

	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	sync := func() {
		if err := m.Sync(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("reading the model repository", "err", err)
		}
		m.watchDirs(w, watched)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			m.log.Debug("repository changed", "path", ev.Name, "op", ev.Op.String())
			timer.Reset(debounce)
		case err, ok := <-errs:
			if ok {
				m.log.Warn("file notifications", "err", err)
			}
		case <-timer.C:
			sync()
		case <-m.kick:
			sync()
		case <-ticker.C:
			sync()
		}
	}
}

// watchDirs adds the repository, its model directories and their version
// directories to the watcher, once each. Directories that went away are
// dropped by fsnotify itself.
func (m *Manager) watchDirs(w *fsnotify.Watcher, watched map[string]bool) {
	if w == nil {
		return
	}
	m.syncMu.Lock()
	root := m.root
	m.syncMu.Unlock()
	add := func(dir string) {
		if watched[dir] {
			return
		}
		if err := w.Add(dir); err != nil {
			m.log.Debug("cannot watch directory", "dir", dir, "err", err)
			return
		}
		watched[dir] = true
	}
	for dir := range watched {
		if _, err := os.Stat(dir); err != nil {
			delete(watched, dir)
		}
	}
	add(root)
	models, _ := os.ReadDir(root)
	for _, md := range models {
		dir := filepath.Join(root, md.Name())
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		add(dir)
		versions, _ := os.ReadDir(dir)
		for _, vd := range versions {
			if vd.IsDir() {
				add(filepath.Join(dir, vd.Name()))
			}
		}
	}
}
