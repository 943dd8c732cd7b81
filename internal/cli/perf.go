package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/perf"
)

type perfOptions struct {
	engines    []string
	batches    []int
	threads    []int
	dims       []string
	inputs     []string
	warmup     int
	duration   time.Duration
	iterations int
	seed       uint64
	rtol, atol float64
	json       bool
	profile    bool
}

func newPerfCmd() *cobra.Command {
	o := perfOptions{}
	cmd := &cobra.Command{
		Use:   "perf MODEL.onnx",
		Short: "Measure engines side by side on a model and check that they agree",
		Long: `Perf loads the model in this process with each engine and thread count, feeds it
random inputs of the model's types and shapes (fixed seed; the variable first
dimension is the batch size), and after a warm-up measures each batch size for
--duration (or exactly --iterations runs), the engines taking turns in rounds of
250 ms (or of a tenth of --iterations) so that a change in the machine's load
falls on all of them alike. It prints, per engine, thread count and
batch size: the median and 99th-percentile latency, samples per second, GFLOP/s
(Conv, ConvTranspose, Gemm and MatMul FLOPs counted from the graph at the run's
shapes), Go heap allocations per run, and the speed relative to the first engine.

It then compares each engine's outputs with the first engine's on the same
inputs (largest absolute and relative differences) and says whether they agree
within --rtol and --atol; if they do not, it exits with status 1.

With --profile it also times every step of a few runs of the engines that can
(the native engine) and prints the time and share of each operator type, with
what fusion merged into it (Conv+Relu, Elementwise(Add,Clip,Mul,Div)), and of
the slowest nodes.

Variable dimensions other than the batch are sized with --dim NAME=N (the
symbolic dimension's name in the model) or --dim INPUT:AXIS=N.

--input NAME=VALUE gives an input real values instead of random ones: a file
(.npy; .json with a nested array or a seed request body {"inputs": {...}};
.raw or .bin with the input's elements, little-endian; an image, .png, .jpg,
.jpeg or .webp, preprocessed as the config.yaml of the model's repository
directory says, for MODEL given as NAME/VERSION/model.onnx) or a constant in
the input's type that fills it (--input sr=16000). A file holds the whole input
at the run's batch size, or one row of it (with or without the batch axis),
repeated for every row; its shape sizes the input's variable dimensions.

The ort engine needs a binary built with -tags ort and the ONNX Runtime library
(--ort-library or INFERD_ORT_LIBRARY; scripts/onnxruntime.sh fetches it).`,
		Example: `  inferd perf examples/models/digits/1/model.onnx
  inferd perf model.onnx --engines native,ort --batch 1,32 --threads 1,2
  inferd perf bert.onnx --engines ort --dim sequence=128 --iterations 50 --json
  inferd perf vad.onnx --input audio=chunk.npy --input sr=16000 --profile`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("duration") && cmd.Flags().Changed("iterations") {
				return errors.New("give --duration or --iterations, not both")
			}
			return runPerf(cmd.Context(), cmd.OutOrStdout(), args[0], o)
		},
	}
	fs := cmd.Flags()
	fs.StringSliceVar(&o.engines, "engines", []string{"native"}, "engines to compare, the first being the baseline")
	fs.IntSliceVar(&o.batches, "batch", []int{1}, "batch sizes")
	fs.IntSliceVar(&o.threads, "threads", []int{1}, "intra-op thread counts")
	fs.StringArrayVar(&o.dims, "dim", nil, "size of a variable dimension: NAME=N or INPUT:AXIS=N (repeatable)")
	fs.StringArrayVar(&o.inputs, "input", nil, "an input's values: NAME=FILE (.npy, .json, .raw/.bin, an image) or NAME=CONSTANT (repeatable)")
	fs.IntVar(&o.warmup, "warmup", perf.DefaultWarmup, "unmeasured runs before each measurement (at least 1: its outputs are compared)")
	fs.DurationVar(&o.duration, "duration", perf.DefaultDuration, "how long each engine, thread count and batch size is measured (the engines taking turns in rounds of 250 ms)")
	fs.IntVar(&o.iterations, "iterations", 0, "measure exactly this many runs instead of --duration")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the random inputs")
	fs.Float64Var(&o.rtol, "rtol", perf.DefaultTolerance.Rtol, "relative tolerance of the output agreement")
	fs.Float64Var(&o.atol, "atol", perf.DefaultTolerance.Atol, "absolute tolerance of the output agreement")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.BoolVar(&o.profile, "profile", false, "also time every operator of a few runs (native engine): time and share by operator type and by node")
	addORTLibraryFlag(fs)
	return cmd
}

func runPerf(ctx context.Context, w io.Writer, model string, o perfOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.warmup < 0 || o.iterations < 0 || o.duration <= 0 {
		return errors.New("--warmup and --iterations must not be negative and --duration must be positive")
	}
	if o.rtol < 0 || o.atol < 0 || o.rtol+o.atol == 0 {
		return errors.New("--rtol and --atol must not be negative, and not both 0")
	}
	dims := map[string]int{}
	for _, d := range o.dims {
		k, n, err := perf.ParseDim(d)
		if err != nil {
			return fmt.Errorf("--dim: %w", err)
		}
		dims[k] = n
	}
	values := map[string]perf.Value{}
	for _, in := range o.inputs {
		name, v, err := perf.ParseInput(in)
		if err != nil {
			return fmt.Errorf("--input: %w", err)
		}
		if _, dup := values[name]; dup {
			return fmt.Errorf("--input %s is given twice", name)
		}
		values[name] = v
	}
	warmup := o.warmup
	if warmup == 0 {
		warmup = 1 // one run is always made for the agreement check
	}
	rep, err := perf.Run(ctx, model, perf.Config{
		Engines: o.engines, Batches: o.batches, Threads: o.threads, Dims: dims,
		Warmup: warmup, Duration: o.duration, Iterations: o.iterations, Seed: o.seed, Values: values,
		Tolerance: perf.Tolerance{Rtol: o.rtol, Atol: o.atol}, Profile: o.profile,
	})
	if err != nil {
		return err
	}
	if o.json {
		err = rep.WriteJSON(w)
	} else {
		err = rep.WriteText(w)
	}
	if err != nil {
		return err
	}
	if !rep.Agree() {
		return errors.New("the engines' outputs disagree")
	}
	return nil
}
