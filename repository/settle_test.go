package repository

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock and an AfterFunc that only move when told to.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at            time.Time
	f             func()
	stopped, done bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		t.stopped = true
	}
}

// Advance moves the clock and runs the timers that came due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.done && !t.at.After(c.now) {
			t.done = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// Live returns the time left on the timers not yet run or stopped.
func (c *fakeClock) Live() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var left []time.Duration
	for _, t := range c.timers {
		if !t.stopped && !t.done {
			left = append(left, t.at.Sub(c.now))
		}
	}
	return left
}

func newSettled(m *Memory, c *fakeClock) *SettledSource {
	return Settled(m, time.Second, WithClock(c.Now), WithAfterFunc(c.AfterFunc))
}

func TestSettled(t *testing.T) {
	type step struct {
		put     map[string]string
		remove  []string
		advance time.Duration
		want    string // summary of List after the step
	}
	base := map[string]string{"m/config.yaml": "description: a\n", "m/1/model.onnx": "x"}
	tests := []struct {
		name  string
		files map[string]string // before the first List
		first string            // what the first List reports
		steps []step
	}{
		{
			name:  "first list settles at once",
			files: map[string]string{"m/config.yaml": "description: a\n", "m/1/model.onnx": "x", "m/2/model.onnx": "yy", "n/config.yaml": "bogus: 1\n"},
			first: "m(a) 1:1 2:2; n(err)",
		},
		{
			name: "new file", files: base, first: "m(a) 1:1",
			steps: []step{
				{put: map[string]string{"m/2/model.onnx": "yy"}, want: "m(a) 1:1"},
				{advance: 500 * time.Millisecond, want: "m(a) 1:1"},
				{advance: 499 * time.Millisecond, want: "m(a) 1:1"},
				{advance: time.Millisecond, want: "m(a) 1:1 2:2"},
			},
		},
		{
			name: "file still changing", files: base, first: "m(a) 1:1",
			steps: []step{
				{put: map[string]string{"m/2/model.onnx": "y"}, want: "m(a) 1:1"},
				{advance: 600 * time.Millisecond, put: map[string]string{"m/2/model.onnx": "yy"}, want: "m(a) 1:1"},
				{advance: 600 * time.Millisecond, put: map[string]string{"m/2/model.onnx": "yyy"}, want: "m(a) 1:1"},
				{advance: 600 * time.Millisecond, want: "m(a) 1:1"},
				{advance: 400 * time.Millisecond, want: "m(a) 1:1 2:3"},
			},
		},
		{
			name: "file changed then stable", files: base, first: "m(a) 1:1",
			steps: []step{
				{put: map[string]string{"m/1/model.onnx": "xxx"}, want: "m(a) 1:1"},
				{advance: 999 * time.Millisecond, want: "m(a) 1:1"},
				{advance: time.Millisecond, want: "m(a) 1:3"},
				{put: map[string]string{"m/1/model.onnx": "x"}, want: "m(a) 1:3"},
				{advance: 2 * time.Second, want: "m(a) 1:1"},
			},
		},
		{
			name: "config half-written then complete", files: base, first: "m(a) 1:1",
			steps: []step{
				{put: map[string]string{"m/config.yaml": "description: ["}, want: "m(a) 1:1"},
				{advance: 300 * time.Millisecond, put: map[string]string{"m/config.yaml": "description: b\n"}, want: "m(a) 1:1"},
				{advance: 999 * time.Millisecond, want: "m(a) 1:1"},
				{advance: time.Millisecond, want: "m(b) 1:1"},
			},
		},
		{
			name: "config that stays broken is reported once settled", files: base, first: "m(a) 1:1",
			steps: []step{
				{put: map[string]string{"m/config.yaml": "bogus: 1\n"}, want: "m(a) 1:1"},
				{advance: time.Second, want: "m(err) 1:1"},
			},
		},
		{
			name:  "removed version",
			files: map[string]string{"m/config.yaml": "description: a\n", "m/1/model.onnx": "x", "m/2/model.onnx": "yy"},
			first: "m(a) 1:1 2:2",
			steps: []step{
				{remove: []string{"m/2"}, want: "m(a) 1:1"},
				{put: map[string]string{"m/2/model.onnx": "yy"}, want: "m(a) 1:1"},
				{advance: time.Second, want: "m(a) 1:1 2:2"},
			},
		},
		{
			name: "version losing its file", files: base, first: "m(a) 1:1",
			steps: []step{
				{remove: []string{"m/1/model.onnx"}, put: map[string]string{"m/1/notes": ""}, want: "m(a) 1:err"},
				{put: map[string]string{"m/1/model.onnx": "x"}, want: "m(a)"},
				{advance: time.Second, want: "m(a) 1:1"},
			},
		},
		{
			name: "removed model", files: base, first: "m(a) 1:1",
			steps: []step{
				{remove: []string{"m"}, want: ""},
				{put: base, want: ""},
				{advance: time.Second, want: "m(a) 1:1"},
			},
		},
		{
			name: "new model after the first list", files: map[string]string{"o/config.yaml": ""}, first: "o()",
			steps: []step{
				{put: map[string]string{"n/config.yaml": "description: [", "n/1/model.onnx": "x"}, want: "o()"},
				{advance: 500 * time.Millisecond, put: map[string]string{"n/config.yaml": "description: n\n"}, want: "o()"},
				{advance: 500 * time.Millisecond, want: "o()"},
				{advance: 500 * time.Millisecond, want: "n(n) 1:1; o()"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, clock := NewMemory(), newFakeClock()
			for p, data := range tt.files {
				m.Put(p, []byte(data))
			}
			src := newSettled(m, clock)
			ctx := context.Background()
			list := func() string {
				t.Helper()
				entries, err := src.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return summary(entries)
			}
			if got := list(); got != tt.first {
				t.Fatalf("first List = %q, want %q", got, tt.first)
			}
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				for _, p := range s.remove {
					m.Remove(p)
				}
				for p, data := range s.put {
					m.Put(p, []byte(data))
				}
				if got := list(); got != s.want {
					t.Fatalf("step %d: List = %q, want %q", i, got, s.want)
				}
			}
		})
	}
}

func TestSettledWakeUp(t *testing.T) {
	m, clock := NewMemory(), newFakeClock()
	m.Put("m/config.yaml", nil)
	src := newSettled(m, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := src.List(ctx); err != nil {
		t.Fatal(err)
	}
	ch := src.Watch(ctx)

	m.Put("m/1/model.onnx", []byte("x"))
	receive(t, ch, "the source's own notification")
	if got := summaryOf(t, src); got != "m()" {
		t.Fatalf("List = %q, want the new file left out", got)
	}
	if live := clock.Live(); len(live) != 1 || live[0] != time.Second+settleMargin {
		t.Fatalf("wake-ups %v, want one in 1s plus the margin", live)
	}

	clock.Advance(500 * time.Millisecond)
	m.Put("m/2/model.onnx", []byte("y"))
	receive(t, ch, "second put")
	summaryOf(t, src)
	if live := clock.Live(); len(live) != 1 || live[0] != 500*time.Millisecond+settleMargin {
		t.Fatalf("wake-ups %v, want only the earliest, in 500ms plus the margin", live)
	}

	clock.Advance(500 * time.Millisecond)
	assertQuiet(t, ch, "before the margin")
	clock.Advance(settleMargin)
	receive(t, ch, "wake-up when version 1 may have settled")
	if got := summaryOf(t, src); got != "m() 1:1" {
		t.Fatalf("List = %q, want version 1", got)
	}
	if live := clock.Live(); len(live) != 1 || live[0] != 500*time.Millisecond {
		t.Fatalf("wake-ups %v, want one for version 2 in 500ms (its margin included)", live)
	}
	clock.Advance(500 * time.Millisecond)
	receive(t, ch, "wake-up when version 2 may have settled")
	if got := summaryOf(t, src); got != "m() 1:1 2:1" {
		t.Fatalf("List = %q, want versions 1 and 2", got)
	}
	if live := clock.Live(); len(live) != 0 {
		t.Fatalf("wake-ups %v with nothing pending", live)
	}
	assertQuiet(t, ch, "nothing pending")

	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("value after cancel")
		}
	case <-time.After(waitTimeout):
		t.Fatal("watch channel not closed after cancel")
	}
}

func summaryOf(t *testing.T, src Source) string {
	t.Helper()
	entries, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return summary(entries)
}

func assertQuiet(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: unexpected notification", what)
	default:
	}
}

func TestSettledGet(t *testing.T) {
	m, clock := NewMemory(), newFakeClock()
	m.Put("m/config.yaml", []byte("description: a\n"))
	m.Put("m/1/model.onnx", []byte("x"))
	src := newSettled(m, clock)
	ctx := context.Background()
	get := func(name string) string {
		t.Helper()
		e, err := src.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return summary([]Entry{e})
	}

	if got := get("m"); got != "m(a) 1:1" {
		t.Fatalf("first Get = %q: before any List, a model's first Get settles at once", got)
	}
	m.Put("m/1/model.onnx", []byte("xxx"))
	if got := get("m"); got != "m(a) 1:1" {
		t.Fatalf("Get = %q, want the changed file held back", got)
	}
	e, err := src.GetNow(ctx, "m")
	if err != nil || summary([]Entry{e}) != "m(a) 1:3" {
		t.Fatalf("GetNow = %q, %v; want what is there now", summary([]Entry{e}), err)
	}
	if got := get("m"); got != "m(a) 1:3" {
		t.Fatalf("Get after GetNow = %q, want it to agree with GetNow", got)
	}

	if _, err := src.Get(ctx, "nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get(nope) err = %v", err)
	}
	if _, err := src.List(ctx); err != nil {
		t.Fatal(err)
	}
	m.Put("n/config.yaml", nil)
	if _, err := src.Get(ctx, "n"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get of a model new since the first List: err = %v, want fs.ErrNotExist until it settles", err)
	}
	clock.Advance(time.Second)
	if got := get("n"); got != "n()" {
		t.Fatalf("Get(n) = %q once settled", got)
	}
	if fsys, err := src.FS("m"); err != nil {
		t.Fatal(err)
	} else if b, _ := fs.ReadFile(fsys, "1/model.onnx"); string(b) != "xxx" {
		t.Errorf("FS reads %q, want the file as it is", b)
	}
	if src.Unwrap() != Source(m) || src.String() != "memory (settle 1s)" {
		t.Errorf("Unwrap = %v, String = %q", src.Unwrap(), src.String())
	}
}

func TestSettledDisabled(t *testing.T) {
	m := NewMemory()
	m.Put("m/config.yaml", nil)
	for _, d := range []time.Duration{0, -time.Second} {
		src := Settled(m, d)
		summaryOf(t, src)
		m.Put("m/1/model.onnx", []byte("x"))
		if got := summaryOf(t, src); got != "m() 1:1" {
			t.Errorf("d=%v: List = %q, want the new file at once", d, got)
		}
		m.Put("m/config.yaml", []byte("description: b\n"))
		if e, err := src.Get(context.Background(), "m"); err != nil || e.Config.Description != "b" {
			t.Errorf("d=%v: Get = %+v, %v; want the new config at once", d, e, err)
		}
		if src.String() != "memory" {
			t.Errorf("String = %q", src.String())
		}
		m.Remove("m/1")
		m.Put("m/config.yaml", nil)
	}
}
