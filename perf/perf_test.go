package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/tensor"
)

const (
	digitsCNN = "../examples/models/digits/1/model.onnx"
	digitsMLP = "../examples/models/digits-mlp/1/model.onnx"
)

// scaled is an in-memory fake engine: native with every float output
// multiplied by factor, to give perf a second engine that agrees (factor 1)
// or not.
type scaled struct {
	name   string
	factor float32
}

func (e scaled) Name() string { return e.name }

func (e scaled) Load(ctx context.Context, m engine.ModelFile, opts engine.Options) (engine.Session, error) {
	s, err := native.Engine{}.Load(ctx, m, opts)
	if err != nil {
		return nil, err
	}
	return scaledSession{Session: s, factor: e.factor}, nil
}

type scaledSession struct {
	engine.Session
	factor float32
}

func (s scaledSession) Run(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	out, err := s.Session.Run(ctx, in)
	for _, t := range out {
		if t.DType() == tensor.Float32 {
			for i, v := range tensor.Data[float32](t) {
				tensor.Data[float32](t)[i] = v * s.factor
			}
		}
	}
	return out, err
}

func init() {
	engine.Register(scaled{name: "perf-test-same", factor: 1})
	engine.Register(scaled{name: "perf-test-off", factor: 1.01})
}

func TestRun(t *testing.T) {
	rep, err := Run(context.Background(), digitsCNN, Config{
		Engines: []string{"native", "perf-test-same"}, Batches: []int{1, 4}, Threads: []int{1, 2},
		Iterations: 3, Warmup: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 8 || len(rep.Agreement) != 4 {
		t.Fatalf("%d results and %d agreements, want 8 and 4", len(rep.Results), len(rep.Agreement))
	}
	// Side by side: threads, then batch, then engine.
	want := []struct {
		engine         string
		threads, batch int
	}{{"native", 1, 1}, {"perf-test-same", 1, 1}, {"native", 1, 4}, {"perf-test-same", 1, 4}, {"native", 2, 1}}
	for i, w := range want {
		r := rep.Results[i]
		if r.Engine != w.engine || r.Threads != w.threads || r.Batch != w.batch {
			t.Errorf("result %d is %s/%d threads/batch %d, want %s/%d/%d", i, r.Engine, r.Threads, r.Batch, w.engine, w.threads, w.batch)
		}
	}
	for _, r := range rep.Results {
		// 2·(16·64·9 + 32·64·144 + 512·64 + 64·10) FLOPs per sample.
		if wantGF := float64(r.Batch) * 675072 / 1e9; r.Runs != 3 || r.GFLOPs != wantGF || r.GFLOPPerSecond <= 0 {
			t.Errorf("%+v: want 3 runs and %v GFLOP", r, wantGF)
		}
		if r.MedianMs <= 0 || r.P99Ms < r.MedianMs || r.SamplesPerSecond <= 0 || r.Speedup <= 0 || r.AllocsPerRun <= 0 {
			t.Errorf("implausible measurement %+v", r)
		}
		if r.Engine == "native" && r.Speedup != 1 {
			t.Errorf("baseline speedup %v, want 1", r.Speedup)
		}
	}
	if !rep.Agree() {
		t.Errorf("identical engines disagree: %+v", rep.Agreement)
	}
	for _, a := range rep.Agreement {
		if len(a.Outputs) != 1 || a.Outputs[0].Name != "logits" || a.Outputs[0].MaxAbs != 0 || a.Outputs[0].Elements != 10*a.Batch {
			t.Errorf("agreement %+v, want logits identical", a)
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"vs native", "logits agrees", "verdict: the engines agree", "GFLOP/s counts"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, text.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != 8 || back.Results[0].MedianMs != rep.Results[0].MedianMs {
		t.Errorf("JSON round trip: %v, %d results", err, len(back.Results))
	}
}

func TestRunDisagreement(t *testing.T) {
	rep, err := Run(context.Background(), digitsMLP, Config{
		Engines: []string{"native", "perf-test-off"}, Batches: []int{2}, Threads: []int{1}, Iterations: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Agree() || len(rep.Agreement) != 1 {
		t.Fatalf("outputs scaled by 1.01 agree: %+v", rep.Agreement)
	}
	d := rep.Agreement[0].Outputs[0]
	if d.Mismatches == 0 || d.MaxRel < 0.0099 || d.MaxRel > 0.0101 || len(d.First) != 2 {
		t.Errorf("diff %+v, want mismatches with max rel 0.01", d)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "logits DIFFERS") || !strings.Contains(text.String(), "DISAGREE") {
		t.Errorf("text report does not say the outputs differ:\n%s", text.String())
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		cfg  Config
		want string
	}{
		{"no engines", digitsMLP, Config{Batches: []int{1}, Threads: []int{1}}, "no engines"},
		{"unknown engine", digitsMLP, Config{Engines: []string{"nope"}, Batches: []int{1}, Threads: []int{1}}, "unknown engine"},
		{"duplicate engine", digitsMLP, Config{Engines: []string{"native", "native"}, Batches: []int{1}, Threads: []int{1}}, "twice"},
		{"zero batch", digitsMLP, Config{Engines: []string{"native"}, Batches: []int{0}, Threads: []int{1}}, "batch size 0"},
		{"zero threads", digitsMLP, Config{Engines: []string{"native"}, Batches: []int{1}, Threads: []int{0}}, "thread count 0"},
		{"missing model", "nope.onnx", Config{Engines: []string{"native"}, Batches: []int{1}, Threads: []int{1}}, "open nope.onnx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Iterations = 1
			_, err := Run(context.Background(), tc.path, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// turnSession records, in a shared log, which session ran.
type turnSession struct {
	engine.Session
	name  string
	log   *[]string
	sleep bool
}

func (s turnSession) Run(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	*s.log = append(*s.log, s.name)
	if s.sleep {
		time.Sleep(time.Millisecond)
	}
	return nil, nil
}

// TestMeasureSideTakesTurns: the engines of a measurement take turns in
// rounds (after their warm-ups), so that a change in the machine's load
// falls on them alike, and each makes the runs asked for.
func TestMeasureSideTakesTurns(t *testing.T) {
	tests := []struct {
		name       string
		iterations int
		d          time.Duration
		engines    int
		want       string // the log after the warm-ups, one letter a run
		runs       int
	}{
		{"iterations", 4, 0, 2, "ABABABAB", 4},
		{"iterations beyond the rounds", 13, 0, 2, "AABBAABBAABBAB" + strings.Repeat("AB", 6), 13},
		{"three engines", 2, 0, 3, "ABCABC", 2},
		{"alone", 5, 0, 1, "AAAAA", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			var sms []*sampler
			for i := range tc.engines {
				name := string(rune('A' + i))
				sms = append(sms, &sampler{name: name, s: turnSession{name: name, log: &log}})
			}
			if err := measureSide(context.Background(), sms, 1, tc.d, tc.iterations); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(log[tc.engines:], ""); got != tc.want {
				t.Errorf("runs in the order %s, want %s", got, tc.want)
			}
			for _, sm := range sms {
				if st := sm.stats(); st.runs != tc.runs {
					t.Errorf("engine %s made %d runs, want %d", sm.name, st.runs, tc.runs)
				}
			}
		})
	}
	// A timed measurement: rounds of roundTime, in which the engines take
	// turns.
	var log []string
	sms := []*sampler{{name: "A", s: turnSession{name: "A", log: &log, sleep: true}}, {name: "B", s: turnSession{name: "B", log: &log, sleep: true}}}
	if err := measureSide(context.Background(), sms, 1, 2*roundTime, 0); err != nil {
		t.Fatal(err)
	}
	turns := 0
	for i := 3; i < len(log); i++ {
		if log[i] != log[i-1] {
			turns++
		}
	}
	if turns != 3 || len(log) < 100 {
		t.Errorf("%d changes of engine in %d runs over 2 rounds of two engines, want 3", turns, len(log))
	}
}
