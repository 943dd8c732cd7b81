package repository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/inferd/inferd/model"
)

// WriteRouting implements RoutingWriter: the file is written beside
// config.yaml through a temporary file and a rename, under a lock, after
// checking that it is still the one the change was based on. The lock is
// flock on the model's .routing.lock: each call opens the file anew, so
// it excludes writers of this process as well as other processes that
// share the directory (replicas on one volume).
func (d *dirSource) WriteRouting(ctx context.Context, name string, data []byte, ifID string) error {
	if err := d.repo.checkModel(name); err != nil {
		return err
	}
	dir := filepath.Join(d.root, name)
	lock, err := os.OpenFile(filepath.Join(dir, ".routing.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("locking %s: %w", model.RoutingFileName, err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", model.RoutingFileName, err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	path := filepath.Join(dir, model.RoutingFileName)
	if err := checkRoutingID(path, ifID); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".routing-*.yaml")
	if err != nil {
		return fmt.Errorf("writing %s: %w", model.RoutingFileName, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", model.RoutingFileName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", model.RoutingFileName, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", model.RoutingFileName, err)
	}
	return nil
}

// checkRoutingID fails with ErrConflict unless the file at path is the
// one ifID identifies ("": no file).
func checkRoutingID(path, ifID string) error {
	cur := ""
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		cur = RoutingID(b)
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("reading %s: %w", model.RoutingFileName, err)
	}
	if cur != ifID {
		return fmt.Errorf("%s: %w", model.RoutingFileName, ErrConflict)
	}
	return nil
}

// WriteRouting implements RoutingWriter.
func (m *Memory) WriteRouting(_ context.Context, name string, data []byte, ifID string) error {
	p := name + "/" + model.RoutingFileName
	m.mu.Lock()
	cur := ""
	if f, ok := m.files[p]; ok {
		cur = RoutingID(f.Data)
	}
	if cur != ifID {
		m.mu.Unlock()
		return fmt.Errorf("%s: %w", model.RoutingFileName, ErrConflict)
	}
	m.putLocked(p, data, false)
	m.mu.Unlock()
	m.subs.notify()
	return nil
}
