package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/target"
	"github.com/inferd/inferd/serving"
)

// evalOptions are the flags of eval and promote.
type evalOptions struct {
	repository string
	url        string
	timeout    time.Duration
	data       dataset.Spec
	output     string
	run        evaluate.Options
	gate       string
	baseline   string
	threads    int
	reports    []string
	json       bool
	buckets    []string
}

func (o *evalOptions) register(fs *pflag.FlagSet, local bool) {
	if local {
		fs.StringVar(&o.repository, "repository", "", "evaluate in this process, loading the model from this repository directory")
		fs.IntVar(&o.threads, "threads", 0, "in process: intra-op threads of the engine, where config.yaml sets none (0: the engine's default)")
	}
	fs.StringVar(&o.url, "url", "", "evaluate against a running server: http://HOST:PORT (REST) or grpc://HOST:PORT")
	fs.DurationVar(&o.timeout, "timeout", time.Hour, "how long the whole evaluation may take")
	fs.StringVar(&o.data.Path, "data", "", "the dataset: a .csv, .jsonl or .parquet file, a folder with one subfolder of images per class, or v2 request records (a .v2.jsonl file or a folder of .json files)")
	fs.StringVar(&o.data.Format, "format", "", "dataset format: csv, jsonl, parquet, images or v2 (default: from --data)")
	fs.StringVar(&o.data.Label, "label", "label", "the label column")
	fs.StringSliceVar(&o.data.Features, "features", nil, "feature columns in input order (default: every column without another role)")
	fs.StringSliceVar(&o.data.Groups, "group", nil, "group columns for fairness, intersected when several")
	fs.StringSliceVar(&o.data.Slices, "slice", nil, "slice columns: metrics per value of each")
	fs.StringArrayVar(&o.buckets, "buckets", nil, "cut a numeric slice column into ranges: COLUMN=E1:E2:… gives <E1, [E1, E2), …, >=En (repeatable)")
	fs.StringVar(&o.data.Weight, "weight", "", "a sample-weight column")
	fs.StringVar(&o.output, "output", "", "the score output (default: the configured one, or the only float output)")
	fs.IntVar(&o.run.Batch, "batch", 32, "rows per inference request (at most 65536, and at most 1 GiB of table input)")
	fs.IntVar(&o.run.TopK, "top-k", 5, "k of top_k_accuracy")
	fs.IntVar(&o.run.Bins, "bins", 10, "calibration bins")
	fs.IntVar(&o.run.Bootstrap, "bootstrap", 200, "bootstrap draws of the confidence intervals (-1: none)")
	fs.Uint64Var(&o.run.Seed, "seed", 1, "seed of the bootstrap and of the row sample")
	fs.IntVar(&o.run.ExactRows, "exact-rows", evaluate.DefaultExactRows, "rows kept for curves, AUCs, intervals, slices and fairness; past it they come from a uniform sample of this many rows, the other overall figures still from every row (-1: keep every row)")
	fs.StringVar(&o.run.Positive, "positive", "", "the positive class of the fairness rates (default: the second of two)")
	fs.IntVar(&o.run.MinGroupSize, "min-group-size", 30, "groups with fewer rows are reported as too small to judge")
	fs.StringVar(&o.gate, "gate", "", "a gates.yaml to check the report against: exit status 1 when it fails")
	fs.StringArrayVar(&o.reports, "report", nil, "write the report to FILE: .json, .md or .html (repeatable)")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON instead of the Markdown summary")
}

func newEvalCmd() *cobra.Command {
	o := &evalOptions{}
	cmd := &cobra.Command{
		Use:   "eval MODEL[/VERSION] --data PATH [--repository DIR | --url URL]",
		Short: "Evaluate a model version on a labelled dataset: metrics, slices, fairness, gates",
		Long: `Eval runs a model version over a labelled dataset and reports its metrics
(docs/evaluation.md lists them all): accuracy, balanced accuracy, precision,
recall and F1 per class and averaged, top-k accuracy, ROC-AUC and PR-AUC,
log loss and calibration for classifiers; MAE, RMSE, R² and MAPE for regression;
bootstrap intervals, latency, metrics per slice, and fairness across groups.

With --repository the version is loaded in this process by the same code the
server uses; with --url it is asked of a running server (any protocol, any
version or label), so the deployed model is what is tested.

The dataset is streamed: a CSV, JSON Lines or Parquet table (features, label, optional
group, slice and weight columns), a folder of images with one subfolder per
class, or Open Inference Protocol v2 request bodies with their expected outputs
(a .v2.jsonl file, one record a line, or a folder of .json files; see
docs/evaluation.md). Any problem in it stops the run with the file and line.

--gate checks the report against a gates.yaml; change thresholds evaluate
its baseline version on the same dataset. A failing gate prints what failed
and by how much and exits with status 1.`,
		Example: `  inferd eval digits --repository examples/models --data examples/evaluation/digits-test.csv --report digits.html
  inferd eval loans/2 --url http://127.0.0.1:8080 --data loans.csv --group sex --gate gates.yaml
  inferd eval digits/production --url grpc://127.0.0.1:8081 --data images/ --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEval(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], o)
		},
	}
	o.register(cmd.Flags(), true)
	cmd.Flags().StringVar(&o.baseline, "baseline", "", "the baseline version or label of change thresholds (default: the gate's)")
	return cmd
}

func (o *evalOptions) check() error {
	if o.data.Path == "" {
		return errors.New("--data is required")
	}
	if (o.repository == "") == (o.url == "") {
		return errors.New("give --repository DIR (in process) or --url URL (a running server)")
	}
	for _, b := range o.buckets {
		col, edges, err := evaluate.ParseBuckets(b)
		if err != nil {
			return fmt.Errorf("--buckets: %w", err)
		}
		if o.run.Buckets == nil {
			o.run.Buckets = map[string]evaluate.Buckets{}
		}
		o.run.Buckets[col] = edges
	}
	for _, r := range o.reports {
		switch strings.ToLower(filepath.Ext(r)) {
		case ".json", ".md", ".html":
		default:
			return fmt.Errorf("--report %s: want a .json, .md or .html file", r)
		}
	}
	return nil
}

func runEval(ctx context.Context, out, errw io.Writer, ref string, o *evalOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	name, version := client.SplitModel(ref)
	var gate *evaluate.Gate
	if o.gate != "" {
		var err error
		if gate, err = evaluate.LoadGate(o.gate); err != nil {
			return err
		}
		if o.baseline != "" {
			gate.Baseline = o.baseline
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rep, err := o.evaluate(ctx, errw, name, version)
	if err != nil {
		return err
	}
	var res *evaluate.GateResult
	if gate != nil {
		var base *evaluate.Report
		if len(gate.Changes) > 0 {
			if base, err = o.evaluate(ctx, errw, name, gate.Baseline); err != nil {
				return fmt.Errorf("baseline %s: %w", gate.Baseline, err)
			}
		}
		res = gate.Apply(rep, base)
	}
	if err := o.write(out, rep, res); err != nil {
		return err
	}
	if res != nil && !res.Passed {
		return &gateError{res}
	}
	return nil
}

// gateError is a failed gate: exit status 1 after the report.
type gateError struct{ r *evaluate.GateResult }

func (e *gateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the gate failed %d of %d checks:", len(e.r.Failures), e.r.Checked)
	for _, f := range e.r.Failures {
		if f.Missing {
			fmt.Fprintf(&b, "\n  %s: not in the report", f.Check)
			continue
		}
		fmt.Fprintf(&b, "\n  %s: %.6g, off by %.6g", f.Check, f.Value, f.By)
	}
	return b.String()
}

// evaluate runs one version, in process or against the server.
func (o *evalOptions) evaluate(ctx context.Context, errw io.Writer, name, version string) (*evaluate.Report, error) {
	t, closeT, err := o.open(ctx, name, version)
	if err != nil {
		return nil, err
	}
	defer closeT()
	run := o.run
	run.Data = o.data
	if isTerminal(errw) {
		start := time.Now()
		run.Progress = func(rows int) {
			fmt.Fprintf(errw, "\r\033[K%s/%s: %d rows, %.0f rows/s", name, t.Model().Version, rows, float64(rows)/time.Since(start).Seconds())
		}
		defer fmt.Fprint(errw, "\r\033[K")
	}
	return evaluate.Run(ctx, t, run)
}

func (o *evalOptions) open(ctx context.Context, name, version string) (evaluate.Target, func(), error) {
	if o.repository != "" {
		l, err := target.OpenLocal(ctx, o.repository, name, version, o.output, serving.WithThreads(o.threads))
		if err != nil {
			return nil, nil, err
		}
		return l, func() { l.Close() }, nil
	}
	c, err := client.New(o.url)
	if err != nil {
		return nil, nil, fmt.Errorf("--url: %w", err)
	}
	first, err := dataset.First(o.data)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	r, err := target.OpenRemote(ctx, c, name, version, o.output, first)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return r, func() { c.Close() }, nil
}

// write prints the report and writes the --report files.
func (o *evalOptions) write(out io.Writer, rep *evaluate.Report, res *evaluate.GateResult) error {
	for _, path := range o.reports {
		if err := writeReportFile(path, rep, res); err != nil {
			return err
		}
	}
	if o.json {
		return evaluate.WriteJSON(out, rep, res)
	}
	return evaluate.WriteMarkdown(out, rep, res)
}

func writeReportFile(path string, rep *evaluate.Report, res *evaluate.GateResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		err = evaluate.WriteJSON(f, rep, res)
	case ".md":
		err = evaluate.WriteMarkdown(f, rep, res)
	case ".html":
		err = evaluate.WriteHTML(f, rep, res)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--report %s: %w", path, err)
	}
	return nil
}
