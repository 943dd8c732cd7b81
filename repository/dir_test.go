package repository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitTimeout bounds every wait for a notification.
const waitTimeout = 10 * time.Second

// receive waits for a value on ch, failing the test after waitTimeout.
func receive(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch channel closed", what)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("%s: no notification within %v", what, waitTimeout)
	}
}

// drain empties ch without waiting.
func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func find(entries []Entry, name string) (Entry, bool) {
	for _, e := range entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

func TestDirList(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a", "config.yaml"), "description: a\n")
	write(t, filepath.Join(root, "a", "1", "model.onnx"), "x")
	write(t, filepath.Join(root, "a", "2", "README"), "no model here")
	write(t, filepath.Join(root, "a", "01", "model.onnx"), "not a version: leading zero")
	write(t, filepath.Join(root, "a", "images", "x.png"), "not a version")
	write(t, filepath.Join(root, "elsewhere", "7", "model.onnx"), "xyz")
	if err := os.Symlink(filepath.Join(root, "elsewhere", "7"), filepath.Join(root, "a", "3")); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "b", "config.yaml"), "bogus: key\n")
	write(t, filepath.Join(root, "c", "1", "model.onnx"), "no config")
	write(t, filepath.Join(root, ".hidden", "config.yaml"), "")
	write(t, filepath.Join(root, "_staging", "config.yaml"), "")
	write(t, filepath.Join(root, "README.md"), "a file")
	write(t, filepath.Join(root, "bad name!", "config.yaml"), "")
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "elsewhere", "config.yaml"))

	src := NewDir(root)
	entries, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	if got, want := strings.Join(names, ","), "a,alias,b,bad name!,c,elsewhere"; got != want {
		t.Fatalf("models = %s, want %s (sorted; dot, underscore and plain files ignored)", got, want)
	}

	a, _ := find(entries, "a")
	st, err := os.Stat(filepath.Join(root, "a", "1", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"a config", a.ConfigErr == nil && a.Config.Description == "a", true},
		{"a config dir", a.Config.Dir, filepath.Join(root, "a")},
		{"a config id", len(a.ConfigID), 64},
		{"a versions", fmt.Sprint(versionNumbers(a)), "[1 2 3]"},
		{"a/1 file", a.Versions[0].File, "1/model.onnx"},
		{"a/1 file id", a.Versions[0].FileID, fmt.Sprintf("1@%d", st.ModTime().UnixNano())},
		{"a/1 size", a.Versions[0].Size, int64(1)},
		{"a/1 mtime", a.Versions[0].ModTime.Equal(st.ModTime()), true},
		{"a/1 err", a.Versions[0].Err, nil},
		{"a/2 err", errText(a.Versions[1].Err), "version 2 has no model.onnx: stat " + filepath.Join(root, "a", "2", "model.onnx")},
		{"a/2 not exist", errors.Is(a.Versions[1].Err, fs.ErrNotExist), true},
		{"a/2 file id", a.Versions[1].FileID, ""},
		{"a/3 symlinked version", a.Versions[2].Err == nil && a.Versions[2].Size == 3, true},
		{"alias symlinked model", len(mustFind(t, entries, "alias").Versions), 3},
		{"b unknown key", strings.Contains(errText(mustFind(t, entries, "b").ConfigErr), `unknown key "bogus"`), true},
		{"b config nil", mustFind(t, entries, "b").Config == nil, true},
		{"c no config is the default", mustFind(t, entries, "c").ConfigErr == nil && mustFind(t, entries, "c").Config.Platform == "onnx", true},
		{"c versions still listed", len(mustFind(t, entries, "c").Versions), 1},
		{"bad name", strings.Contains(errText(mustFind(t, entries, "bad name!").ConfigErr), "not a valid model name"), true},
		{"string", src.String(), "dir " + root},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func versionNumbers(e Entry) []int {
	var ns []int
	for _, v := range e.Versions {
		ns = append(ns, v.Number)
	}
	return ns
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if i := strings.Index(s, ": no such file"); i >= 0 {
		s = s[:i]
	}
	return s
}

func mustFind(t *testing.T, entries []Entry, name string) Entry {
	t.Helper()
	e, ok := find(entries, name)
	if !ok {
		t.Fatalf("no entry %q", name)
	}
	return e
}

func TestDirListMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nope")
	_, err := NewDir(root).List(context.Background())
	if err == nil || !strings.Contains(err.Error(), root) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want it to name %s and wrap fs.ErrNotExist", err, root)
	}
}

func TestDirGetAndFS(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "m", "config.yaml"), "description: m\n")
	write(t, filepath.Join(root, "m", "1", "model.onnx"), "onnx")
	write(t, filepath.Join(root, "plain"), "a file")
	write(t, filepath.Join(root, "_staging", "config.yaml"), "")
	src := NewDir(root)
	ctx := context.Background()

	e, err := src.Get(ctx, "m")
	if err != nil || e.Config == nil || e.Config.Description != "m" || len(e.Versions) != 1 {
		t.Fatalf("Get(m) = %+v, %v", e, err)
	}
	for _, name := range []string{"missing", "plain", "_staging", "../m", "bad name!", ""} {
		t.Run("not exist "+name, func(t *testing.T) {
			if _, err := src.Get(ctx, name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Get(%q) err = %v, want fs.ErrNotExist", name, err)
			}
			if _, err := src.FS(name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("FS(%q) err = %v, want fs.ErrNotExist", name, err)
			}
		})
	}

	fsys, err := src.FS("m")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(fsys, "1/model.onnx"); err != nil || string(b) != "onnx" {
		t.Errorf("reading 1/model.onnx = %q, %v", b, err)
	}
	if dir, ok := LocalDir(src, "m"); !ok || dir != filepath.Join(root, "m") {
		t.Errorf("LocalDir = %q, %v", dir, ok)
	}
	if dir, ok := LocalDir(Settled(src, time.Second), "m"); !ok || dir != filepath.Join(root, "m") {
		t.Errorf("LocalDir through Settled = %q, %v", dir, ok)
	}
	if _, ok := LocalDir(NewMemory(), "m"); ok {
		t.Errorf("LocalDir of memory succeeded")
	}
}

func TestDirConfigIDFollowsLabels(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "m", "config.yaml"), "postprocess: {labels: meta/labels.txt}\n")
	write(t, filepath.Join(root, "m", "meta", "labels.txt"), "a\nb\n")
	src := NewDir(root)
	ctx := context.Background()
	before, err := src.Get(ctx, "m")
	if err != nil || before.ConfigErr != nil {
		t.Fatal(err, before.ConfigErr)
	}
	write(t, filepath.Join(root, "m", "meta", "labels.txt"), "a\nc\n")
	after, _ := src.Get(ctx, "m")
	if after.ConfigID == before.ConfigID {
		t.Errorf("ConfigID unchanged after the labels file changed")
	}
	if got := after.Config.Labels; len(got) != 2 || got[1] != "c" {
		t.Errorf("labels = %q", got)
	}
}

func TestDirWatch(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "m", "config.yaml"), "")
	write(t, filepath.Join(root, "m", "1", "model.onnx"), "1")
	ctx, cancel := context.WithCancel(context.Background())
	// The poll interval is long so that only file notifications can send.
	ch := NewDir(root, WithPollInterval(time.Hour)).Watch(ctx)

	// Give the watcher time to add its directories: a write before that
	// may go unnoticed (the poll would catch it); retry until one sends.
	steps := []struct {
		name  string
		write func(i int)
	}{
		{"model file rewritten", func(i int) {
			write(t, filepath.Join(root, "m", "1", "model.onnx"), fmt.Sprint("v", i))
		}},
		{"new version directory", func(i int) {
			write(t, filepath.Join(root, "m", fmt.Sprint(10+i), "model.onnx"), "new")
		}},
		{"file in a version directory that appeared", func(i int) {
			write(t, filepath.Join(root, "m", "10", "model.onnx"), fmt.Sprint("changed", i))
		}},
		{"new model", func(i int) {
			write(t, filepath.Join(root, fmt.Sprint("n", i), "config.yaml"), "")
		}},
		{"config rewritten", func(i int) {
			write(t, filepath.Join(root, "m", "config.yaml"), fmt.Sprintf("description: d%d\n", i))
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			drain(ch)
			deadline := time.After(waitTimeout)
			retry := time.NewTicker(500 * time.Millisecond)
			defer retry.Stop()
			step.write(0)
			for i := 1; ; i++ {
				select {
				case _, ok := <-ch:
					if !ok {
						t.Fatal("watch channel closed")
					}
					return
				case <-retry.C:
					step.write(i)
				case <-deadline:
					t.Fatalf("no notification within %v", waitTimeout)
				}
			}
		})
	}

	cancel()
	deadline := time.After(waitTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("watch channel not closed after the context was done")
		}
	}
}

func TestDirWatchPolls(t *testing.T) {
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := NewDir(root, WithPollInterval(20*time.Millisecond)).Watch(ctx)
	receive(t, ch, "poll")
	receive(t, ch, "second poll")
}

func TestFileSHA256(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "m", "1", "model.onnx"), "abc")
	sum, n, err := FileSHA256(filepath.Join(root, "m", "1", "model.onnx"))
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || sum != want || n != 3 {
		t.Fatalf("FileSHA256 = %s, %d, %v; want %s, 3", sum, n, err, want)
	}
	if _, _, err := FileSHA256(filepath.Join(root, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}
