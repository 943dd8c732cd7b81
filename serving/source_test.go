package serving_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/fake"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// The control loop end to end over an in-memory repository and the fake
// engine: every step is a Put and a Sync, with no files, polling or
// sleeps.

var fakeModel = fake.Model{
	Inputs:  []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}},
	Outputs: []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 2}}},
}

func scaled(s float64) []byte {
	m := fakeModel
	m.Scale = s
	return m.Bytes()
}

// memManager serves a memory repository with settling off.
func memManager(t *testing.T, src repository.Source, opts ...serving.Option) *serving.Manager {
	t.Helper()
	m := serving.New(append([]serving.Option{serving.WithLogger(quiet()), serving.WithSettle(0)}, opts...)...)
	if err := m.Load(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func syncNow(t *testing.T, m *serving.Manager) {
	t.Helper()
	if err := m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.WaitRetired()
}

// infer runs x = [[1, 2]] on the default version and returns its number
// and y[0][0].
func infer(t *testing.T, m *serving.Manager) (int, float32) {
	t.Helper()
	v, err := m.Acquire("m", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	res, err := v.Infer(context.Background(), &serving.Request{Inputs: map[string]*tensor.Tensor{"x": tensor.MustFromSlice([]float32{1, 2}, 1, 2)}})
	if err != nil {
		t.Fatal(err)
	}
	return v.Number, tensor.Data[float32](res.Outputs[0].Tensor)[0]
}

func TestControlLoopOverMemory(t *testing.T) {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("engine: fake\n"))
	src.Put("m/1/model.onnx", scaled(1))
	m := memManager(t, src)

	steps := []struct {
		name   string
		change func()
		states string
		serves int
		y      float32
	}{
		{"first load", func() {}, "1:AVAILABLE", 1, 1},
		{"a new version replaces the old", func() { src.Put("m/2/model.onnx", scaled(2)) }, "2:AVAILABLE", 2, 2},
		{"a broken version does not take the good one's place", func() { src.Put("m/3/model.onnx", []byte("junk")) }, "2:AVAILABLE 3:FAILED", 2, 2},
		{"fixing it swaps it in", func() { src.Put("m/3/model.onnx", scaled(3)) }, "3:AVAILABLE", 3, 3},
		{"a file replaced in place reloads", func() { src.Put("m/3/model.onnx", scaled(4)) }, "3:AVAILABLE", 3, 4},
		{"a failed reload keeps the old copy serving", func() { src.Put("m/3/model.onnx", []byte("junk")) }, "3:AVAILABLE", 3, 4},
		{"a rejected config keeps the previous one", func() { src.Put("m/config.yaml", []byte("engine: [\n")) }, "3:AVAILABLE", 3, 4},
		{"a valid config again reloads every version", func() {
			src.Put("m/3/model.onnx", scaled(5))
			src.Put("m/config.yaml", []byte("engine: fake\nversion_policy: all\n"))
		}, "1:AVAILABLE 2:AVAILABLE 3:AVAILABLE", 3, 5},
		{"a removed version retires", func() { src.Remove("m/3") }, "1:AVAILABLE 2:AVAILABLE", 2, 2},
	}
	for _, st := range steps {
		st.change()
		syncNow(t, m)
		if got := states(m); got != st.states {
			t.Fatalf("%s: states %q, want %q", st.name, got, st.states)
		}
		if n, y := infer(t, m); n != st.serves || y != st.y {
			t.Fatalf("%s: version %d answered %v, want version %d answering %v", st.name, n, y, st.serves, st.y)
		}
	}
	mod, _ := m.Model("m")
	if mod.ConfigErr != nil {
		t.Errorf("config error after the fix: %v", mod.ConfigErr)
	}

	src.Remove("m")
	syncNow(t, m)
	if _, err := m.Model("m"); err == nil {
		t.Error("a model removed from the repository is still served")
	}
}

func TestReloadErrorIsReported(t *testing.T) {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("engine: fake\n"))
	src.Put("m/1/model.onnx", scaled(1))
	m := memManager(t, src)
	src.Put("m/1/model.onnx", fake.Model{LoadError: "disk on fire"}.Bytes())
	syncNow(t, m)
	loads := fake.Default.Loads.Load()
	syncNow(t, m) // the failed reload is not retried
	if fake.Default.Loads.Load() != loads {
		t.Error("a failed reload was retried without any change")
	}
	v, err := m.Resolve("m", "1")
	if err != nil {
		t.Fatal(err)
	}
	if st := v.Status(); st.State != serving.StateAvailable || st.Err == nil || !strings.Contains(st.Err.Error(), "disk on fire") {
		t.Fatalf("status %v %v, want AVAILABLE with the reload error", st.State, st.Err)
	}
}

func TestBeforeTheRepositoryIsLoaded(t *testing.T) {
	m := serving.New(serving.WithLogger(quiet()))
	ctx := context.Background()
	if _, err := m.Index(ctx); !errors.Is(err, serving.ErrUnavailable) {
		t.Errorf("Index: %v", err)
	}
	if err := m.LoadModel(ctx, "m"); !errors.Is(err, serving.ErrUnavailable) {
		t.Errorf("LoadModel: %v", err)
	}
	if err := m.Sync(ctx); !errors.Is(err, serving.ErrUnavailable) {
		t.Errorf("Sync: %v", err)
	}
	if ready, why := m.Ready(); ready || why == "" {
		t.Errorf("Ready = %v, %q", ready, why)
	}
}
