package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/loadgen"
)

type benchOptions struct {
	url            string
	model          string
	inputs         []string
	protocol       string
	concurrency    []int
	rate           float64
	duration       time.Duration
	requests       int
	warmup         time.Duration
	timeout        time.Duration
	json           bool
	allowRemote    bool
	urlSet         bool
	protocolSet    bool
	durationSet    bool
	concurrencySet bool
}

func newBenchCmd() *cobra.Command {
	o := benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench --model NAME[/VERSION] --input FILE [flags] [FILE...]",
		Short: "Load a server with requests and measure latency and throughput",
		Long: `Bench sends the same request (or a few, in turn) to a server as fast as it
answers, and measures latency percentiles (HDR histogram: p50, p90, p99, p99.9,
max), throughput and failures by status.

Closed loop (the default): for each --concurrency, that many workers send a
request, wait for the answer and send the next, for --duration or --requests,
after a --warmup. Open loop (--rate R): requests are due R times per second
whether earlier ones were answered or not, with at most --concurrency in flight
(default 64); latency counts from the time each request was due, so a server
that stalls is charged for the requests it delayed (coordinated omission
corrected). Requests in flight at the end finish and count.

--input files (and further FILE arguments) are sent in turn. An image (PNG,
JPEG, WebP) is the raw body on the seed route (POST /models/NAME[/VERSION]) and
a BYTES tensor for the model's image input over v2; a .json file holds tensors:
the seed routes' {"inputs": {"<name>": <nested array>}} or (v2) an Open
Inference Protocol request. Request bodies are encoded once, before the run.

When the server reports its own timing (inferd's Inferd-Timing header or
inferd-timing gRPC metadata: queue and compute microseconds, batch rows), the
table splits the latency into the time waiting in the batcher (QUEUE) and the
engine time (COMPUTE), with the mean batch size; "n/a" otherwise.

A progress line is shown on a terminal (stderr). The table goes to stdout, or
with --json the whole report. Only loopback servers are loaded unless
--allow-remote is given.`,
		Example: `  inferd bench --model digits --input examples/digits/images/7_0.png
  inferd bench --model digits-mlp/1 --concurrency 1,8,64 --duration 5s --input examples/digits/images/*.png
  inferd bench --protocol v2-grpc --model digits --input examples/digits/sample-input.json --requests 10000
  inferd bench --model digits --rate 20000 --duration 10s --input examples/digits/images/3_0.png --json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fs := cmd.Flags()
			o.urlSet, o.protocolSet = fs.Changed("url"), fs.Changed("protocol")
			o.durationSet, o.concurrencySet = fs.Changed("duration"), fs.Changed("concurrency")
			o.inputs = append(o.inputs, args...)
			return runBench(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.url, "url", "", "server: http://HOST:PORT; for v2-grpc grpc://HOST:PORT or HOST:PORT (default http://127.0.0.1:8080, with --protocol v2-grpc grpc://127.0.0.1:8081)")
	fs.StringVar(&o.model, "model", "", "the model, NAME or NAME/VERSION (required)")
	fs.StringArrayVar(&o.inputs, "input", nil, "a request file, image or .json (repeatable; sent in turn)")
	fs.StringVar(&o.protocol, "protocol", "seed", "seed (POST /models/...), v2 (Open Inference Protocol over REST) or v2-grpc; a grpc:// --url implies v2-grpc")
	fs.IntSliceVar(&o.concurrency, "concurrency", nil, "workers per run, one run each (default 1,8,64; open loop: most requests in flight, default 64)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: requests per second (0: closed loop)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each run (with --requests alone: no time bound)")
	fs.IntVar(&o.requests, "requests", 0, "requests per run (0: no count bound)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each run, not measured")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each request")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow a server that is not on a loopback address")
	return cmd
}

// resolve fills in the defaults that depend on other flags and checks the
// options.
func (o *benchOptions) resolve() error {
	if o.model == "" {
		return errors.New("--model is required")
	}
	if len(o.inputs) == 0 {
		return errors.New("--input is required: an image or a .json tensor file")
	}
	if err := o.resolveTarget(); err != nil {
		return err
	}
	return o.resolveLoad()
}

// resolveLoad fills in the defaults of the runs' length and load and
// checks them: --requests alone bounds a run by count, and an open loop
// (--rate) runs at a concurrency of 64 unless told.
func (o *benchOptions) resolveLoad() error {
	if o.requests > 0 && !o.durationSet {
		o.duration = 0
	}
	switch {
	case o.rate > 0 && !o.concurrencySet:
		o.concurrency = []int{64}
	case !o.concurrencySet:
		o.concurrency = []int{1, 8, 64}
	}
	if o.duration < 0 || o.requests < 0 || o.warmup < 0 || o.timeout <= 0 {
		return errors.New("--duration, --requests and --warmup must not be negative, --timeout must be positive")
	}
	if o.duration == 0 && o.requests == 0 {
		return errors.New("give a positive --duration or --requests")
	}
	if o.rate < 0 {
		return errors.New("--rate must not be negative")
	}
	for _, c := range o.concurrency {
		if c < 1 {
			return fmt.Errorf("--concurrency %d: must be positive", c)
		}
	}
	return nil
}

// resolveTarget picks the protocol (v2-grpc for a grpc:// --url) and the
// default --url of the protocol, and refuses a gRPC --url for another
// protocol.
func (o *benchOptions) resolveTarget() error {
	if !o.protocolSet && strings.HasPrefix(o.url, "grpc://") {
		o.protocol = string(loadgen.V2GRPC)
	}
	p, err := loadgen.ParseProtocol(o.protocol)
	if err != nil {
		return fmt.Errorf("--protocol: %w", err)
	}
	switch {
	case p == loadgen.V2GRPC && !o.urlSet:
		o.url = "grpc://127.0.0.1:8081"
	case !o.urlSet:
		o.url = "http://127.0.0.1:8080"
	case p != loadgen.V2GRPC && strings.HasPrefix(o.url, "grpc://"):
		return fmt.Errorf("--url %s is gRPC but --protocol is %s; use --protocol v2-grpc", o.url, p)
	}
	return nil
}

func runBench(ctx context.Context, out, errOut io.Writer, o benchOptions) error {
	if err := o.resolve(); err != nil {
		return err
	}
	if !o.allowRemote {
		if err := loadgen.CheckLoopback(ctx, o.url); err != nil {
			return fmt.Errorf("--url: %w; give --allow-remote to load another machine", err)
		}
	}
	model, version := client.SplitModel(o.model)
	if model == "" {
		return fmt.Errorf("--model %q: want NAME or NAME/VERSION", o.model)
	}
	inputs := make([]loadgen.Input, len(o.inputs))
	for i, p := range o.inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		inputs[i] = loadgen.Input{Name: p, Data: data}
	}
	maxConc := 1
	for _, c := range o.concurrency {
		maxConc = max(maxConc, c)
	}
	target, err := loadgen.NewTarget(ctx, loadgen.TargetConfig{
		URL: o.url, Protocol: loadgen.Protocol(o.protocol), Model: model, Version: version,
		Inputs: inputs, MaxConns: maxConc, Timeout: o.timeout,
	})
	if err != nil {
		return err
	}
	defer target.Close()
	if err := preflight(ctx, target, len(inputs), o); err != nil {
		return err
	}
	cfg := loadgen.Config{Rate: o.rate, Duration: o.duration, Requests: o.requests, Warmup: o.warmup, Timeout: o.timeout}
	progress := isTerminal(errOut)
	if progress {
		cfg.Progress = func(p loadgen.Progress) { printProgress(errOut, p) }
		cfg.ProgressInterval = 500 * time.Millisecond
	}
	results, runErr := loadgen.Sweep(ctx, target, cfg, o.concurrency)
	if progress {
		fmt.Fprint(errOut, "\r\033[K")
	}
	rep := &loadgen.Report{
		URL: o.url, Protocol: loadgen.Protocol(o.protocol), Model: model, Version: version, Inputs: o.inputs,
		DurationS: o.duration.Seconds(), Requests: o.requests, WarmupS: o.warmup.Seconds(), Results: results,
	}
	if o.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.WriteTable(out); err != nil {
		return err
	}
	return runErr
}

// preflight sends each input once and stops with the server's answer if
// one fails: a bench of error answers measures nothing useful.
func preflight(ctx context.Context, t loadgen.Target, n int, o benchOptions) error {
	for i := range n {
		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		res := t.Do(rctx, i)
		cancel()
		if !res.OK {
			return fmt.Errorf("%s: the server answered %s: %s", o.inputs[i], res.Status, res.Message)
		}
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func printProgress(w io.Writer, p loadgen.Progress) {
	phase := "run"
	if p.Warmup {
		phase = "warm-up"
	}
	fmt.Fprintf(w, "\r\033[Kconcurrency %d %s %4.1fs: %d ok, %d failed, %.0f/s", p.Concurrency, phase,
		p.Elapsed.Seconds(), p.OK, p.Failed, p.Rate)
}
