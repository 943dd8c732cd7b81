package perf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// Config says what to measure. The zero values of Warmup, Duration and
// Tolerance mean their defaults.
type Config struct {
	// Engines are the registered engines to compare; the first is the
	// baseline of the speed ratios and of the output agreement.
	Engines []string
	// Batches are the batch sizes (the variable first dimension).
	Batches []int
	// Threads are the intra-op thread counts; each engine is loaded once
	// per count.
	Threads []int
	// Dims sizes the other variable dimensions, by symbolic name or as
	// "input:axis" (see ParseDim).
	Dims map[string]int
	// Warmup is the number of unmeasured runs before each measurement
	// (default 3; at least one run is always made, for the agreement).
	Warmup int
	// Duration is how long each engine, batch and thread count is measured
	// (default 2s), unless Iterations is set; the engines take turns in
	// rounds of 250 ms.
	Duration time.Duration
	// Iterations, when positive, measures exactly that many runs instead.
	Iterations int
	// Seed seeds the random inputs.
	Seed uint64
	// Values gives inputs, by name, constants or file contents instead of
	// random data (see ParseInput).
	Values map[string]Value
	// Tolerance decides output agreement (default DefaultTolerance).
	Tolerance Tolerance
	// Profile, when set, also times every step of a few runs of the
	// engines that can (engine/native): Report.Profiles.
	Profile bool
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Defaults for Config.
const (
	DefaultWarmup   = 3
	DefaultDuration = 2 * time.Second
)

func (c *Config) validate() error {
	switch {
	case len(c.Engines) == 0:
		return errors.New("no engines to measure")
	case len(c.Batches) == 0:
		return errors.New("no batch sizes")
	case len(c.Threads) == 0:
		return errors.New("no thread counts")
	case c.Warmup < 0 || c.Iterations < 0 || c.Duration < 0:
		return errors.New("warmup, iterations and duration must not be negative")
	}
	for _, b := range c.Batches {
		if b < 1 {
			return fmt.Errorf("batch size %d: must be at least 1", b)
		}
	}
	for _, t := range c.Threads {
		if t < 1 {
			return fmt.Errorf("thread count %d: must be at least 1", t)
		}
	}
	seen := map[string]bool{}
	for _, e := range c.Engines {
		if seen[e] {
			return fmt.Errorf("engine %q is listed twice", e)
		}
		seen[e] = true
	}
	if c.Warmup == 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Tolerance == (Tolerance{}) {
		c.Tolerance = DefaultTolerance
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run reads the model file at path once, loads it with every engine and thread count, measures
// every batch size and compares each engine's outputs with the first
// engine's on the same inputs. Every engine loads the model once before
// anything is measured, so one that cannot fails the run at once.
func Run(ctx context.Context, path string, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rep := &Report{Model: path, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GOARCH: runtime.GOARCH,
		Tolerance: cfg.Tolerance}
	engines, err := rep.engines(cfg.Engines)
	if err != nil {
		return nil, err
	}
	// The graph, if inferd can decode it, names the variable dimensions and
	// gives the FLOPs.
	mf, err := engine.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, decodeErr := onnx.Decode(mf.Data, onnx.WithFS(mf.Dir))
	if decodeErr != nil {
		rep.FLOPsNote = fmt.Sprintf("not counted: %v", decodeErr)
	}
	// The sessions of the first thread count, loaded up front.
	first := make([]loaded, len(engines))
	defer func() {
		for _, l := range first {
			if l.s != nil {
				l.s.Close()
			}
		}
	}()
	for i, e := range engines {
		l, err := load(ctx, e, mf, cfg.Threads[0], cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("engine %s: %w", e.Name(), err)
		}
		first[i] = l
	}
	for ti, threads := range cfg.Threads {
		rows, err := measureEngines(ctx, engines, first, ti, mf, m, cfg, rep)
		if err != nil {
			return nil, err
		}
		rep.addSideBySide(rows, threads, cfg)
	}
	return rep, nil
}

// engines looks up the engines by name, listing them in the report.
func (r *Report) engines(names []string) ([]engine.Engine, error) {
	engines := make([]engine.Engine, len(names))
	for i, name := range names {
		e, err := engine.Get(name)
		if err != nil {
			return nil, err
		}
		engines[i] = e
		r.Engines = append(r.Engines, EngineInfo{Name: name})
	}
	return engines, nil
}

// measureEngines measures every engine at thread count ti, side by side
// (measureSide): on the sessions loaded up front for the first, new ones
// for the others; all closed once measured. It returns rows[engine][batch].
func measureEngines(ctx context.Context, engines []engine.Engine, first []loaded, ti int, mf engine.ModelFile, m *onnx.Model, cfg Config, rep *Report) ([][]measured, error) {
	threads := cfg.Threads[ti]
	ls := make([]loaded, len(engines))
	defer func() {
		for _, l := range ls {
			if l.s != nil {
				l.s.Close()
			}
		}
	}()
	for ei, e := range engines {
		l := first[ei]
		first[ei].s = nil
		if ti > 0 {
			var err error
			if l, err = load(ctx, e, mf, threads, cfg.Logger); err != nil {
				return nil, fmt.Errorf("engine %s, %d threads: %w", e.Name(), threads, err)
			}
		}
		ls[ei] = l
		if v, ok := e.(interface{ Version() string }); ok {
			rep.Engines[ei].Version = v.Version()
		}
	}
	decl := declaredShapes(m)
	files := make([]map[string]*tensor.Tensor, len(engines))
	for ei, l := range ls {
		var err error
		if files[ei], err = decodeValues(l.s.Inputs(), cfg.Values, imageDecoder(rep.Model, l.s)); err != nil {
			return nil, fmt.Errorf("engine %s, %d threads: %w", engines[ei].Name(), threads, err)
		}
	}
	rows := make([][]measured, len(engines))
	for _, batch := range cfg.Batches {
		sms := make([]*sampler, len(engines))
		shapes := make([]map[string][]int, len(engines))
		for ei, l := range ls {
			in, sh, err := makeInputs(l.s.Inputs(), decl, batch, cfg, files[ei])
			if err != nil {
				return nil, fmt.Errorf("engine %s, %d threads: %w", engines[ei].Name(), threads, err)
			}
			sms[ei], shapes[ei] = &sampler{name: engines[ei].Name(), s: l.s, in: in}, sh
		}
		cfg.Logger.Info("perf: measuring", "engines", len(engines), "threads", threads, "batch", batch)
		if err := measureSide(ctx, sms, cfg.Warmup, cfg.Duration, cfg.Iterations); err != nil {
			return nil, fmt.Errorf("%d threads, batch %d: %w", threads, batch, err)
		}
		for ei, sm := range sms {
			st := sm.stats()
			rows[ei] = append(rows[ei], measured{res: rep.result(sm.name, threads, batch, ls[ei].time, st, m, shapes[ei]), st: st})
		}
		if cfg.Profile {
			for _, sm := range sms {
				p, err := profile(ctx, sm.s, sm.in, sm.name, threads, batch)
				if err != nil {
					return nil, fmt.Errorf("engine %s, %d threads, batch %d: profile: %w", sm.name, threads, batch, err)
				}
				if p != nil {
					rep.Profiles = append(rep.Profiles, *p)
				}
			}
		}
	}
	return rows, nil
}

// addSideBySide adds one thread count's results by batch size, then
// engine: each engine's speed-up over the first and its outputs'
// agreement with the first's.
func (r *Report) addSideBySide(rows [][]measured, threads int, cfg Config) {
	for bi := range cfg.Batches {
		base := rows[0][bi]
		for ei := range rows {
			row := rows[ei][bi]
			row.res.Speedup = float64(base.st.median) / float64(row.st.median)
			if ei > 0 {
				diffs := compareOutputs(row.st.firstOutputs, base.st.firstOutputs, cfg.Tolerance)
				r.Agreement = append(r.Agreement, newAgreement(row.res.Engine, base.res.Engine, threads, row.res.Batch, diffs))
			}
			r.Results = append(r.Results, row.res)
		}
	}
}

// loaded is a session and how long it took to load.
type loaded struct {
	s    engine.Session
	time time.Duration
}

func load(ctx context.Context, e engine.Engine, m engine.ModelFile, threads int, log *slog.Logger) (loaded, error) {
	start := time.Now()
	s, err := e.Load(ctx, m, engine.Options{IntraOpThreads: threads, InterOpThreads: 1, Logger: log})
	return loaded{s: s, time: time.Since(start)}, err
}

// declaredShapes returns the declared shapes of m's inputs, by name (none
// when the graph could not be decoded).
func declaredShapes(m *onnx.Model) map[string][]onnx.Dim {
	decl := map[string][]onnx.Dim{}
	if m != nil {
		for _, in := range m.Graph.Inputs {
			decl[in.Name] = in.Type.Shape
		}
	}
	return decl
}

// result is the Result of one engine's measurement st at a thread count
// and batch size, with the GFLOP/s of graph m at the inputs' shapes when
// they can be counted (else the report says why, once).
func (r *Report) result(name string, threads, batch int, load time.Duration, st stats, m *onnx.Model, shapes map[string][]int) Result {
	res := Result{Engine: name, Threads: threads, Batch: batch, Runs: st.runs,
		LoadMs: ms(load), MedianMs: ms(st.median), P99Ms: ms(st.p99), MeanMs: ms(st.mean),
		SamplesPerSecond: float64(batch) / st.median.Seconds(), AllocsPerRun: st.allocs, BytesPerRun: st.bytes}
	if m != nil {
		if f, ok, why := FLOPs(m, shapes); ok {
			res.GFLOPs = f / 1e9
			res.GFLOPPerSecond = f / 1e9 / st.median.Seconds()
		} else if r.FLOPsNote == "" {
			r.FLOPsNote = "not counted: " + why
		}
	}
	return res
}

type measured struct {
	res Result
	st  stats
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
