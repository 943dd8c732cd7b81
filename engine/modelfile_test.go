package engine_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/inferd/inferd/engine"
)

func TestDirFS(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "model")
	for name, data := range map[string]string{"secret.bin": "s", "model/w.bin": "w", "model/data/x.bin": "x"} {
		p := filepath.Join(top, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join("..", "secret.bin"), filepath.Join(dir, "out.bin")); err != nil {
		t.Fatal(err)
	}
	fsys := engine.DirFS(dir)
	if got, ok := engine.LocalDir(fsys); !ok || got != dir {
		t.Errorf("LocalDir = %q, %v; want %q", got, ok, dir)
	}
	if _, ok := engine.LocalDir(os.DirFS(dir)); ok {
		t.Error("LocalDir of an os.DirFS reported a directory")
	}
	if b, err := fs.ReadFile(fsys, "data/x.bin"); err != nil || string(b) != "x" {
		t.Errorf("ReadFile data/x.bin = %q, %v", b, err)
	}
	for _, name := range []string{"out.bin", "../secret.bin", "/etc/passwd"} {
		if _, err := fs.ReadFile(fsys, name); err == nil {
			t.Errorf("ReadFile %s succeeded; it leads out of the directory", name)
		}
	}
	if err := os.Remove(filepath.Join(dir, "out.bin")); err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(fsys, "w.bin", "data/x.bin"); err != nil {
		t.Error(err)
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.onnx")
	_, err := engine.ReadFile(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := engine.ReadFile(path)
	if err != nil || m.Name != path || string(m.Data) != "bytes" {
		t.Fatalf("ReadFile = %+v, %v", m, err)
	}
	if d, ok := engine.LocalDir(m.Dir); !ok || d != filepath.Dir(path) {
		t.Errorf("Dir is %v, want DirFS(%s)", m.Dir, filepath.Dir(path))
	}
}
