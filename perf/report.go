package perf

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is the outcome of Run.
type Report struct {
	Model      string       `json:"model"`
	Engines    []EngineInfo `json:"engines"`
	GOMAXPROCS int          `json:"gomaxprocs"`
	NumCPU     int          `json:"num_cpu"`
	GOARCH     string       `json:"goarch"`
	// FLOPsNote says why GFLOP/s are missing, when they are.
	FLOPsNote string    `json:"flops_note,omitempty"`
	Tolerance Tolerance `json:"tolerance"`
	// Results has one entry per thread count, batch size and engine, in
	// that order: the engines side by side.
	Results []Result `json:"results"`
	// Agreement compares every engine but the first with the first, per
	// thread count and batch size.
	Agreement []Agreement `json:"agreement"`
	// Profiles says where the time goes, per operator and node, when
	// Config.Profile asked (for the engines that can tell).
	Profiles []Profile `json:"profiles,omitempty"`
}

// EngineInfo names an engine and, when it reports one, its version.
type EngineInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Result is one measurement.
type Result struct {
	Engine  string `json:"engine"`
	Threads int    `json:"threads"`
	Batch   int    `json:"batch"`
	// Runs is the number of measured runs.
	Runs     int     `json:"runs"`
	LoadMs   float64 `json:"load_ms"`
	MedianMs float64 `json:"median_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MeanMs   float64 `json:"mean_ms"`
	// SamplesPerSecond is batch / median latency.
	SamplesPerSecond float64 `json:"samples_per_second"`
	// GFLOPs is the work of one run and GFLOPPerSecond its rate at the
	// median latency; both 0 when the FLOPs could not be counted.
	GFLOPs         float64 `json:"gflop,omitempty"`
	GFLOPPerSecond float64 `json:"gflop_per_second,omitempty"`
	// AllocsPerRun and BytesPerRun are Go heap allocations per run
	// (runtime.MemStats deltas). For engines that run outside the Go heap,
	// such as ONNX Runtime, they count only the Go side: input and output
	// conversion, not the engine's own allocations.
	AllocsPerRun float64 `json:"allocs_per_run"`
	BytesPerRun  float64 `json:"bytes_per_run"`
	// Speedup is the first engine's median latency over this one's, at
	// the same batch size and thread count: 2 means twice as fast.
	Speedup float64 `json:"speedup"`
}

// Agreement compares an engine's outputs with the first engine's on the
// same inputs.
type Agreement struct {
	Engine   string       `json:"engine"`
	Baseline string       `json:"baseline"`
	Threads  int          `json:"threads"`
	Batch    int          `json:"batch"`
	Agree    bool         `json:"agree"`
	Outputs  []OutputDiff `json:"outputs"`
}

func newAgreement(eng, base string, threads, batch int, diffs []OutputDiff) Agreement {
	a := Agreement{Engine: eng, Baseline: base, Threads: threads, Batch: batch, Agree: true, Outputs: diffs}
	for _, d := range diffs {
		a.Agree = a.Agree && d.OK()
	}
	return a
}

// Agree reports whether every engine agreed with the first.
func (r *Report) Agree() bool {
	for _, a := range r.Agreement {
		if !a.Agree {
			return false
		}
	}
	return true
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the side-by-side table and the agreement verdicts.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	var engines []string
	for _, e := range r.Engines {
		s := e.Name
		if e.Version != "" {
			s += " " + e.Version
		}
		engines = append(engines, s)
	}
	fmt.Fprintf(ew, "model %s\nengines %s; GOMAXPROCS %d, %d CPUs, %s\n\n", r.Model, strings.Join(engines, ", "), r.GOMAXPROCS, r.NumCPU, r.GOARCH)
	base := r.Engines[0].Name
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "threads\tbatch\tengine\truns\tmedian ms\tp99 ms\tsamples/s\tGFLOP/s\tallocs/run\tvs %s\t\n", base)
	for _, x := range r.Results {
		gf := "-"
		if x.GFLOPPerSecond > 0 {
			gf = fmt.Sprintf("%.2f", x.GFLOPPerSecond)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%.3f\t%.3f\t%.1f\t%s\t%.1f\t%.2fx\t\n",
			x.Threads, x.Batch, x.Engine, x.Runs, x.MedianMs, x.P99Ms, x.SamplesPerSecond, gf, x.AllocsPerRun, x.Speedup)
	}
	tw.Flush()
	if r.FLOPsNote != "" {
		fmt.Fprintf(ew, "\nGFLOP/s %s\n", r.FLOPsNote)
	} else if len(r.Results) > 0 {
		fmt.Fprintf(ew, "\nGFLOP/s counts Conv, ConvTranspose, Gemm and MatMul (2 per multiply-add).\n")
	}
	fmt.Fprintf(ew, "allocs/run counts Go heap allocations only; an engine outside the Go heap (ort) shows just its Go-side conversions.\n")
	if len(r.Agreement) > 0 {
		fmt.Fprintf(ew, "\noutputs vs %s (rtol %g, atol %g):\n", base, r.Tolerance.Rtol, r.Tolerance.Atol)
	}
	for _, a := range r.Agreement {
		fmt.Fprintf(ew, "  %s, threads %d, batch %d: %s\n", a.Engine, a.Threads, a.Batch, verdict(a))
	}
	if len(r.Agreement) > 0 {
		if r.Agree() {
			fmt.Fprintf(ew, "verdict: the engines agree\n")
		} else {
			fmt.Fprintf(ew, "verdict: the engines DISAGREE (see above)\n")
		}
	}
	for i := range r.Profiles {
		writeProfile(ew, &r.Profiles[i])
	}
	return ew.err
}

func verdict(a Agreement) string {
	var parts []string
	for _, d := range a.Outputs {
		switch {
		case d.Problem != "":
			parts = append(parts, fmt.Sprintf("%s DIFFERS: %s", d.Name, d.Problem))
		case d.Mismatches > 0:
			parts = append(parts, fmt.Sprintf("%s DIFFERS: %d of %d elements out of tolerance, first at %v (max abs %.3g, max rel %.3g)",
				d.Name, d.Mismatches, d.Elements, d.First, d.MaxAbs, d.MaxRel))
		default:
			parts = append(parts, fmt.Sprintf("%s agrees (max abs %.3g, max rel %.3g, values up to %.3g)", d.Name, d.MaxAbs, d.MaxRel, d.MaxRef))
		}
	}
	return strings.Join(parts, "; ")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
