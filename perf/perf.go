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
	// (default 2s), unless Iterations is set.
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

// measureEngines measures every engine at thread count ti: on the session
// loaded up front for the first, a new one for the others; each closed
// once measured. It returns rows[engine][batch].
func measureEngines(ctx context.Context, engines []engine.Engine, first []loaded, ti int, mf engine.ModelFile, m *onnx.Model, cfg Config, rep *Report) ([][]measured, error) {
	threads := cfg.Threads[ti]
	rows := make([][]measured, len(engines))
	for ei, e := range engines {
		l := first[ei]
		if ti > 0 {
			var err error
			if l, err = load(ctx, e, mf, threads, cfg.Logger); err != nil {
				return nil, fmt.Errorf("engine %s, %d threads: %w", e.Name(), threads, err)
			}
		}
		r, err := measureSession(ctx, l, e.Name(), m, threads, cfg, rep)
		l.s.Close()
		first[ei].s = nil
		if err != nil {
			return nil, fmt.Errorf("engine %s, %d threads: %w", e.Name(), threads, err)
		}
		rows[ei] = r
		if v, ok := e.(interface{ Version() string }); ok {
			rep.Engines[ei].Version = v.Version()
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

type measured struct {
	res Result
	st  stats
}

// measureSession measures every batch size on one loaded session.
func measureSession(ctx context.Context, l loaded, name string, m *onnx.Model, threads int, cfg Config, rep *Report) ([]measured, error) {
	s := l.s
	decl := map[string][]onnx.Dim{}
	if m != nil {
		for _, in := range m.Graph.Inputs {
			decl[in.Name] = in.Type.Shape
		}
	}
	files, err := decodeValues(s.Inputs(), cfg.Values, imageDecoder(rep.Model, s))
	if err != nil {
		return nil, err
	}
	var rows []measured
	for _, batch := range cfg.Batches {
		in, shapes, err := makeInputs(s.Inputs(), decl, batch, cfg, files)
		if err != nil {
			return nil, err
		}
		cfg.Logger.Info("perf: measuring", "engine", name, "threads", threads, "batch", batch)
		st, err := measure(ctx, s, in, cfg.Warmup, cfg.Duration, cfg.Iterations)
		if err != nil {
			return nil, fmt.Errorf("batch %d: %w", batch, err)
		}
		res := Result{Engine: name, Threads: threads, Batch: batch, Runs: st.runs,
			LoadMs: ms(l.time), MedianMs: ms(st.median), P99Ms: ms(st.p99), MeanMs: ms(st.mean),
			SamplesPerSecond: float64(batch) / st.median.Seconds(), AllocsPerRun: st.allocs, BytesPerRun: st.bytes}
		if m != nil {
			if f, ok, why := FLOPs(m, shapes); ok {
				res.GFLOPs = f / 1e9
				res.GFLOPPerSecond = f / 1e9 / st.median.Seconds()
			} else if rep.FLOPsNote == "" {
				rep.FLOPsNote = "not counted: " + why
			}
		}
		rows = append(rows, measured{res: res, st: st})
		if cfg.Profile {
			p, err := profile(ctx, s, in, name, threads, batch)
			if err != nil {
				return nil, fmt.Errorf("batch %d: profile: %w", batch, err)
			}
			if p != nil {
				rep.Profiles = append(rep.Profiles, *p)
			}
		}
	}
	return rows, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
