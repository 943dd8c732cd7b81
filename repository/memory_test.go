package repository

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		put    map[string]string
		remove []string
		want   string // summary of List
	}{
		{"empty", nil, nil, ""},
		{"one model", map[string]string{"m/config.yaml": "description: d\n", "m/1/model.onnx": "x", "m/2/model.onnx": "yy"}, nil, "m(d) 1:1 2:2"},
		{"version without model file", map[string]string{"m/config.yaml": "", "m/3/": "", "m/4/README": ""}, nil, "m() 3:err 4:err"},
		{"ignored names", map[string]string{"m/config.yaml": "", ".git/config.yaml": "", "_tmp/config.yaml": "", "README": ""}, nil, "m()"},
		{"missing config is the default", map[string]string{"m/1/model.onnx": "x"}, nil, "m() 1:1"},
		{"remove a file", map[string]string{"m/config.yaml": "", "m/1/model.onnx": "x", "m/1/notes": ""}, []string{"m/1/model.onnx"}, "m() 1:err"},
		{"remove the last file of a directory", map[string]string{"m/config.yaml": "", "m/1/model.onnx": "x"}, []string{"m/1/model.onnx"}, "m()"},
		{"remove a directory", map[string]string{"m/config.yaml": "", "m/1/model.onnx": "x", "m/2/model.onnx": "x"}, []string{"m/1"}, "m() 2:1"},
		{"remove a model", map[string]string{"m/config.yaml": "", "n/config.yaml": ""}, []string{"m/"}, "n()"},
		{"sorted", map[string]string{"b/config.yaml": "", "a/config.yaml": "", "c/config.yaml": ""}, nil, "a(); b(); c()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory()
			for p, data := range tt.put {
				m.Put(p, []byte(data))
			}
			for _, p := range tt.remove {
				m.Remove(p)
			}
			entries, err := m.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(entries); got != tt.want {
				t.Errorf("List = %q, want %q", got, tt.want)
			}
		})
	}
}

// summary describes entries as "name(description) N:size ..." joined by
// "; ", with err for a config or version that has an error.
func summary(entries []Entry) string {
	var parts []string
	for _, e := range entries {
		s := e.Name + "(err)"
		if e.ConfigErr == nil {
			s = e.Name + "(" + e.Config.Description + ")"
		}
		for _, v := range e.Versions {
			if v.Err != nil {
				s += fmt.Sprintf(" %d:err", v.Number)
			} else {
				s += fmt.Sprintf(" %d:%d", v.Number, v.Size)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestMemoryFileIDChangesWithEveryPut(t *testing.T) {
	m := NewMemory()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m.SetClock(func() time.Time { return at }) // the same time for every Put
	m.Put("m/config.yaml", nil)
	ids := map[string]bool{}
	for range 3 {
		m.Put("m/1/model.onnx", []byte("same"))
		e, err := m.Get(context.Background(), "m")
		if err != nil {
			t.Fatal(err)
		}
		v := e.Versions[0]
		if ids[v.FileID] {
			t.Fatalf("FileID %s repeated after a Put", v.FileID)
		}
		ids[v.FileID] = true
		if !v.ModTime.Equal(at) || v.Size != 4 {
			t.Errorf("mtime %v size %d, want %v and 4", v.ModTime, v.Size, at)
		}
	}
}

func TestMemoryGetAndFS(t *testing.T) {
	m := NewMemory()
	m.Put("m/config.yaml", []byte("name: m\npostprocess: {labels: labels.txt}\n"))
	m.Put("m/labels.txt", []byte("a\nb\n"))
	m.Put("m/1/model.onnx", []byte("one"))
	ctx := context.Background()
	e, err := m.Get(ctx, "m")
	if err != nil || e.ConfigErr != nil || len(e.Config.Labels) != 2 || e.Config.Dir != "memory:/m" {
		t.Fatalf("Get = %+v, %v", e, err)
	}
	for _, name := range []string{"nope", "..", "m/1", "_x"} {
		if _, err := m.Get(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get(%q) err = %v, want fs.ErrNotExist", name, err)
		}
		if _, err := m.FS(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("FS(%q) err = %v, want fs.ErrNotExist", name, err)
		}
	}

	fsys, err := m.FS("m")
	if err != nil {
		t.Fatal(err)
	}
	m.Put("m/1/model.onnx", []byte("changed"))
	m.Remove("m/labels.txt")
	if b, err := fs.ReadFile(fsys, "1/model.onnx"); err != nil || string(b) != "one" {
		t.Errorf("snapshot read %q, %v; want the content when FS was called", b, err)
	}
	if _, err := fs.ReadFile(fsys, "labels.txt"); err != nil {
		t.Errorf("snapshot lost labels.txt: %v", err)
	}
	if e, _ := m.Get(ctx, "m"); !strings.Contains(errText(e.ConfigErr), "memory:/m/labels.txt") {
		t.Errorf("config error %v does not name memory:/m/labels.txt", e.ConfigErr)
	}
	if m.String() != "memory" {
		t.Errorf("String = %q", m.String())
	}
}

func TestMemoryPutCopies(t *testing.T) {
	m := NewMemory()
	data := []byte("abc")
	m.Put("m/1/model.onnx", data)
	data[0] = 'X'
	fsys, _ := m.FS("m")
	if b, _ := fs.ReadFile(fsys, "1/model.onnx"); string(b) != "abc" {
		t.Errorf("read %q, want abc", b)
	}
}

func TestMemoryWatch(t *testing.T) {
	m := NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	ch1, ch2 := m.Watch(ctx), m.Watch(ctx)
	m.Put("m/config.yaml", nil)
	m.Put("m/1/model.onnx", nil) // coalesced with the first
	receive(t, ch1, "put")
	receive(t, ch2, "put, second watcher")
	select {
	case <-ch1:
		t.Fatal("two puts sent twice without the first being received")
	default:
	}
	m.Remove("nothing/here")
	select {
	case <-ch1:
		t.Fatal("removing nothing sent")
	default:
	}
	m.Remove("m/1")
	receive(t, ch1, "remove")
	cancel()
	for _, ch := range []<-chan struct{}{ch1, ch2} {
		select {
		case _, ok := <-ch:
			if ok {
				if _, ok := <-ch; ok {
					t.Fatal("watch channel still open after cancel")
				}
			}
		case <-time.After(waitTimeout):
			t.Fatal("watch channel not closed after cancel")
		}
	}
	m.Put("m/2/model.onnx", nil) // no watcher left: must not panic
}

func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := Settled(m, time.Millisecond)
	ch := src.Watch(ctx)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				m.Put(fmt.Sprintf("m%d/config.yaml", w), nil)
				m.Put(fmt.Sprintf("m%d/%d/model.onnx", w, i%3+1), []byte(strings.Repeat("x", i)))
				if i%10 == 0 {
					m.Remove(fmt.Sprintf("m%d/1", w))
				}
			}
		})
		wg.Go(func() {
			for range 50 {
				if _, err := src.List(ctx); err != nil {
					t.Error(err)
				}
				if fsys, err := m.FS("m0"); err == nil {
					fs.WalkDir(fsys, ".", func(string, fs.DirEntry, error) error { return nil })
				}
				select {
				case <-ch:
				default:
				}
			}
		})
	}
	wg.Wait()
}
