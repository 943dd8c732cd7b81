package monitor_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/inferd/inferd/engine"
	_ "github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/sqlstore"
	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// BenchmarkCapture runs the digits CNN through the capture wrapper with
// capture off, at 10% and at 100% into SQLite, the writer included (it
// drains before the timer stops). cpu-ns/op is the process's CPU time
// (user and system) per request, which a busy machine inflates less than
// ns/op: its difference to "off" is what capture costs per request.
func BenchmarkCapture(b *testing.B) {
	path := filepath.Join(testutil.ExamplesDir(), "digits", "1", "model.onnx")
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	e, _ := engine.Get("native")
	sess, err := e.Load(context.Background(), engine.ModelFile{Name: path, Data: data}, engine.Options{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	model := &runner.Func{In: sess.Inputs(), Out: sess.Outputs(), Fn: sess.Run}
	px := make([]float32, 64)
	for i := range px {
		px[i] = float32(i%17) / 16
	}
	in := map[string]*tensor.Tensor{"input": tensor.MustFromSlice(px, 1, 1, 8, 8)}
	for _, bc := range []struct {
		name string
		rate float64
	}{{"off", 0}, {"sample10", 0.1}, {"sample100", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "m.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			m, err := monitor.New(store, monitor.WithQueueSize(1<<16))
			if err != nil {
				b.Fatal(err)
			}
			rate := bc.rate
			r := runner.Chain(model, m.Wrap(monitor.Target{Model: "digits", Version: 1, Rate: &rate}))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = m.Run(ctx) }()
			call := monitor.WithCall(context.Background(), &monitor.Call{RequestID: "0123456789abcdef", ClientID: "bench"})
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N { // not b.Loop: the writer's draining below must be timed too
				if _, err := r.Run(call, in); err != nil {
					b.Fatal(err)
				}
			}
			cancel() // the writer writes what is queued before it returns
			<-done
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
