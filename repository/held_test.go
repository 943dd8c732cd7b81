package repository

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestModelFilesHeldToTheirFolder: the files a model directory's config
// names (labels) and the files of a version are read only inside their
// folder; a symbolic link out of it, or a named pipe, is a clear error.
// A symlinked version directory still works (TestDirList).
func TestModelFilesHeldToTheirFolder(t *testing.T) {
	const cfg = "postprocess:\n  labels: labels.txt\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		want  string // in the config error
	}{
		{"labels inside", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "m", "labels.txt"), "cat\ndog\n")
		}, ""},
		{"labels symlink inside", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "m", "real.txt"), "cat\ndog\n")
			symlink(t, "real.txt", filepath.Join(root, "m", "labels.txt"))
		}, ""},
		{"labels symlink out of the model folder", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "secret.txt"), "root:x:0:0\n")
			symlink(t, filepath.Join("..", "secret.txt"), filepath.Join(root, "m", "labels.txt"))
		}, "m/labels.txt: path escapes from parent"},
		{"labels absolute symlink", func(t *testing.T, root string) {
			write(t, filepath.Join(root, "secret.txt"), "root:x:0:0\n")
			symlink(t, filepath.Join(root, "secret.txt"), filepath.Join(root, "m", "labels.txt"))
		}, "path escapes from parent"},
		{"labels named pipe", func(t *testing.T, root string) {
			if err := syscall.Mkfifo(filepath.Join(root, "m", "labels.txt"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "labels.txt is not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, filepath.Join(root, "m", "config.yaml"), cfg)
			write(t, filepath.Join(root, "m", "1", "model.onnx"), "x")
			tc.setup(t, root)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			e, err := NewDir(root).Get(ctx, "m")
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if e.ConfigErr != nil {
				got = e.ConfigErr.Error()
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("config error %q, want one containing %q", got, tc.want)
			}
		})
	}
}

// TestVersionFilesHeldToTheirFolder: through FS, a file of a version
// reads inside the version folder, even when the version directory is a
// symbolic link, but not through a link out of it.
func TestVersionFilesHeldToTheirFolder(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "m", "1", "model.onnx"), "one")
	write(t, filepath.Join(root, "elsewhere", "2", "model.onnx"), "two")
	write(t, filepath.Join(root, "secret.bin"), "secret")
	symlink(t, filepath.Join(root, "elsewhere", "2"), filepath.Join(root, "m", "2"))
	symlink(t, filepath.Join(root, "secret.bin"), filepath.Join(root, "m", "1", "w.bin"))
	fsys, err := NewDir(root).FS("m")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file, want string
		escapes    bool
	}{
		{"1/model.onnx", "one", false},
		{"2/model.onnx", "two", false},
		{"1/w.bin", "", true},
	}
	for _, tc := range tests {
		data, err := fs.ReadFile(fsys, tc.file)
		if tc.escapes {
			if err == nil || !strings.Contains(err.Error(), "escapes") {
				t.Errorf("%s: got %q, %v; want an error: the link leads out of the folder", tc.file, data, err)
			}
			continue
		}
		if err != nil || string(data) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.file, data, err, tc.want)
		}
	}
	if _, err := fs.ReadFile(fsys, "3/model.onnx"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing version: %v, want fs.ErrNotExist", err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
