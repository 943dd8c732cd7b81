package monitor_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/sqlstore"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// double is a runner that doubles x into y, failing on a negative first value.
var double = &runner.Func{
	In:  []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 2}}, {Name: "ssn", DType: tensor.Float32, Shape: []int{-1, 1}}},
	Out: []engine.TensorInfo{{Name: "y", DType: tensor.Float32, Shape: []int{-1, 2}}},
	Fn: func(_ context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
		x := tensor.Data[float32](in["x"])
		if x[0] < 0 {
			return nil, errors.New("negative")
		}
		return map[string]*tensor.Tensor{"y": tensor.MustFromSlice([]float32{2 * x[0], 2 * x[1]}, 1, 2)}, nil
	},
}

func newMonitor(t *testing.T, opts ...monitor.Option) (*monitor.Monitor, monitor.Store, *prometheus.Registry) {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := prometheus.NewRegistry()
	m, err := monitor.New(store, append([]monitor.Option{monitor.WithRegisterer(reg), monitor.WithBatch(16, time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m, store, reg
}

func run(t *testing.T, r runner.Runner, ctx context.Context, x float32) error {
	t.Helper()
	_, err := r.Run(ctx, map[string]*tensor.Tensor{
		"x": tensor.MustFromSlice([]float32{x, 1}, 1, 2), "ssn": tensor.MustFromSlice([]float32{123456789}, 1, 1)})
	return err
}

// runMonitor runs m's writer until the test ends.
func runMonitor(t *testing.T, m *monitor.Monitor) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestCaptureRedactsAndSkipsFailures(t *testing.T) {
	m, store, _ := newMonitor(t)
	one := 1.0
	r := runner.Chain(double, m.Wrap(monitor.Target{Model: "m", Version: 2, Rate: &one, Redact: []string{"ssn"}}))
	runMonitor(t, m)
	ctx := monitor.WithCall(context.Background(), &monitor.Call{RequestID: "r1"})
	if err := run(t, r, ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := run(t, r, ctx, -1); err == nil || err.Error() != "negative" {
		t.Fatalf("the runner's error must come back as is, got %v", err)
	}
	recs := waitRecords(t, store, 1)
	time.Sleep(20 * time.Millisecond) // a failed run would have been written by now
	if recs, _ = store.Records(context.Background(), monitor.Query{}); len(recs) != 1 {
		t.Fatalf("%d records; the failed run must not be captured", len(recs))
	}
	inJSON, err := recs[0].Inputs.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	in := string(inJSON)
	if strings.Contains(in, "123456789") || !strings.Contains(in, `"ssn":{"datatype":"FP32","shape":[1,1],"redacted":true}`) {
		t.Fatalf("inputs %s: ssn must be redacted", in)
	}
	if out, _ := recs[0].Outputs.MarshalJSON(); string(out) != `{"y":{"datatype":"FP32","shape":[1,2],"data":[[6,2]]}}` || recs[0].Prediction != "0" {
		t.Fatalf("outputs %s prediction %q", out, recs[0].Prediction)
	}
}

// A caller may reuse its input map once Run returns (a pipeline clears
// its steps' maps for the next request; serving.Version.Run and shadow
// traffic allow it): the record keeps the inputs the request had.
func TestCaptureKeepsInputsOfAReusedMap(t *testing.T) {
	m, store, _ := newMonitor(t)
	one := 1.0
	r := runner.Chain(double, m.Wrap(monitor.Target{Model: "m", Version: 1, Rate: &one}))
	in := map[string]*tensor.Tensor{"x": tensor.MustFromSlice([]float32{3, 1}, 1, 2), "ssn": tensor.MustFromSlice([]float32{5}, 1, 1)}
	if _, err := r.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	clear(in) // the caller's next request; the writer has not run yet
	runMonitor(t, m)
	recs := waitRecords(t, store, 1)
	got, err := recs[0].Inputs.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ssn":{"datatype":"FP32","shape":[1,1],"data":[[5]]},"x":{"datatype":"FP32","shape":[1,2],"data":[[3,1]]}}`
	if string(got) != want {
		t.Fatalf("captured inputs %s, want %s", got, want)
	}
}

// With the writer stopped, the queue fills; further requests still
// succeed at once and are counted as dropped.
func TestCaptureDropsWhenQueueIsFull(t *testing.T) {
	m, _, reg := newMonitor(t, monitor.WithQueueSize(4))
	one := 1.0
	r := runner.Chain(double, m.Wrap(monitor.Target{Model: "m", Version: 1, Rate: &one}))
	for range 10 {
		if err := run(t, r, context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := metricSum(t, reg, "inferd_monitor_capture_dropped_total"); n != 6 {
		t.Fatalf("dropped %v, want 6", n)
	}
}

func TestCaptureSamples(t *testing.T) {
	m, _, reg := newMonitor(t, monitor.WithSampleRate(0.1), monitor.WithQueueSize(100000))
	if w := m.Wrap(monitor.Target{Model: "off", Rate: new(float64)}); w != nil {
		t.Fatal("a rate of 0 must add no wrapper")
	}
	r := runner.Chain(double, m.Wrap(monitor.Target{Model: "m", Version: 1}))
	for range 5000 {
		if err := run(t, r, context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	// The writer, stopped at once, writes everything queued before it returns.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// 5000 draws at 0.1: 500 expected, sd 21; ±100 is about 5 sd.
	if n := metricSum(t, reg, "inferd_monitor_captured_total"); n < 400 || n > 600 {
		t.Fatalf("captured %v of 5000 at 10%%", n)
	}
}

func metricSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// The queue also holds at most its byte budget of tensors: large tensors
// are dropped before the count is reached.
func TestCaptureQueueBytes(t *testing.T) {
	m, _, reg := newMonitor(t, monitor.WithQueueBytes(350)) // a request counts about 150 bytes (its payloads' bound)
	one := 1.0
	r := runner.Chain(double, m.Wrap(monitor.Target{Model: "m", Version: 1, Rate: &one}))
	for range 10 {
		if err := run(t, r, context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := metricSum(t, reg, "inferd_monitor_capture_dropped_total"); n != 8 {
		t.Fatalf("dropped %v, want 8", n)
	}
	runMonitor(t, m) // the writer frees the budget
	for range 500 {
		if metricSum(t, reg, "inferd_monitor_captured_total") == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := run(t, r, context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if n := metricSum(t, reg, "inferd_monitor_capture_dropped_total"); n != 8 {
		t.Fatalf("dropped %v after the writer ran, want still 8", n)
	}
}
