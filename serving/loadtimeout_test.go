package serving_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving"
)

// slowModel is a fake model whose load takes d, ignoring its context, as
// a load blocked reading a named pipe would.
func slowModel(d time.Duration) []byte {
	m := fakeModel
	m.LoadDelay = d.String()
	return m.Bytes()
}

// stateOf returns the state of version 1 of the named model, or "".
func stateOf(m *serving.Manager, name string) (serving.State, error) {
	mod, err := m.Model(name)
	if err != nil || mod.Version(1) == nil {
		return "", nil
	}
	st := mod.Version(1).Status()
	return st.State, st.Err
}

// TestStuckLoadIsAbandoned: a model whose load never ends (here: longer
// than the test) FAILS after the load timeout, and the models after it
// load all the same.
func TestStuckLoadIsAbandoned(t *testing.T) {
	src := repository.NewMemory()
	for _, name := range []string{"a", "b", "c"} {
		src.Put(name+"/config.yaml", []byte("engine: fake\n"))
		src.Put(name+"/1/model.onnx", fakeModel.Bytes())
	}
	src.Put("a/1/model.onnx", slowModel(time.Minute))
	start := time.Now()
	m := memManager(t, src, serving.WithLoadTimeout(200*time.Millisecond))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("loading took %v", d)
	}
	tests := []struct {
		model   string
		state   serving.State
		wantErr string
	}{
		{"a", serving.StateFailed, "loading took longer than the load timeout (200ms); abandoned"},
		{"b", serving.StateAvailable, ""},
		{"c", serving.StateAvailable, ""},
	}
	for _, tc := range tests {
		state, err := stateOf(m, tc.model)
		if state != tc.state || (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("model %s: %s, %v; want %s, %q", tc.model, state, err, tc.state, tc.wantErr)
		}
	}
}

// TestSlowLoadDoesNotBlockOthers: while one model takes its time to
// load (within the timeout), the others become AVAILABLE.
func TestSlowLoadDoesNotBlockOthers(t *testing.T) {
	src := repository.NewMemory()
	src.Put("a/config.yaml", []byte("engine: fake\n"))
	src.Put("a/1/model.onnx", slowModel(2*time.Second))
	src.Put("b/config.yaml", []byte("engine: fake\n"))
	src.Put("b/1/model.onnx", fakeModel.Bytes())
	m := serving.New(serving.WithLogger(quiet()), serving.WithSettle(0))
	t.Cleanup(func() { m.Close() })
	loaded := make(chan error, 1)
	go func() { loaded <- m.Load(context.Background(), src) }()
	deadline := time.After(time.Second)
	for {
		if state, _ := stateOf(m, "b"); state == serving.StateAvailable {
			break
		}
		select {
		case <-deadline:
			t.Fatal("model b did not become AVAILABLE while model a was loading")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if state, _ := stateOf(m, "a"); state != serving.StateLoading {
		t.Errorf("model a is %s while its load is still running, want LOADING", state)
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	if state, err := stateOf(m, "a"); state != serving.StateAvailable {
		t.Errorf("model a is %s (%v) after its load, want AVAILABLE", state, err)
	}
}
