package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/dataset"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/monitor/export"
	"github.com/inferd/inferd/repository/bucket"
)

// storeFlags name the capture store of a (stopped or running) server.
type storeFlags struct{ dataDir, dsn string }

func (s *storeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "", "the server's --data-dir (its SQLite store, monitor.db)")
	fs.StringVar(&s.dsn, "capture-store", "", "the server's PostgreSQL store (a postgres:// DSN) instead")
}

func (s *storeFlags) open(ctx context.Context) (monitor.Store, error) {
	if s.dataDir == "" && s.dsn == "" {
		return nil, fmt.Errorf("give --data-dir or --capture-store")
	}
	if s.dsn == "" {
		if _, err := os.Stat(filepath.Join(s.dataDir, "monitor.db")); err != nil {
			return nil, fmt.Errorf("--data-dir: %w", err)
		}
	}
	return openStore(ctx, s.dataDir, s.dsn)
}

type profileOptions struct {
	repository, dataset, out string
	version, captured        int
	window, windows          int
	alpha                    float64
	store                    storeFlags
}

func newProfileCmd() *cobra.Command {
	o := profileOptions{}
	cmd := &cobra.Command{
		Use:   "profile MODEL",
		Short: "Build a model version's reference profile for drift detection",
		Long: `Profile runs a dataset through MODEL in process (--dataset: an image folder,
JSON Lines of input tensors, or a CSV of one tabular input) or reads the first
--captured requests of a server's capture store, and writes the version's
reference profile: mergeable sketches of every input feature (the elements of
small inputs; brightness, contrast, size and channel means of images) and of
every output (predicted class, confidence). It then calibrates the drift alarm
for windows of --window requests so that windows drawn from the reference raise
it at rate --alpha.

The profile goes to REPOSITORY/MODEL/VERSION/profile.json, beside the model
file, where inferd serve's drift watcher finds it.`,
		Example: `  inferd profile digits --repository examples/models --dataset examples/digits/images
  inferd profile digits --repository models --data-dir /var/lib/inferd --captured 2000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProfile(cmd.Context(), cmd.OutOrStdout(), args[0], o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.repository, "repository", "models", "model repository directory")
	fs.IntVar(&o.version, "version", 0, "version to profile (default: the one the version policy serves; with --captured, every version)")
	fs.StringVar(&o.dataset, "dataset", "", "image folder, .jsonl or .csv file to profile")
	fs.IntVar(&o.captured, "captured", 0, "profile the first N captured requests instead (needs --data-dir or --capture-store)")
	fs.StringVar(&o.out, "out", "", "write the profile here instead of REPOSITORY/MODEL/VERSION/profile.json")
	fs.IntVar(&o.window, "window", 200, "drift window size to calibrate for (serve --drift-window)")
	fs.IntVar(&o.windows, "calibration-windows", 2000, "reference windows drawn to calibrate")
	fs.Float64Var(&o.alpha, "alpha", 0.01, "false alarm rate of a window drawn from the reference")
	o.store.register(fs)
	return cmd
}

func runProfile(ctx context.Context, out io.Writer, model string, o profileOptions) error {
	if (o.dataset == "") == (o.captured == 0) {
		return fmt.Errorf("give one of --dataset and --captured")
	}
	var p *drift.Profile
	var rows []drift.Row
	var err error
	if o.dataset != "" {
		p, rows, err = dataset.Profile(ctx, o.repository, model, o.version, o.dataset)
	} else {
		p, rows, err = profileCaptured(ctx, o, model)
	}
	if err != nil {
		return err
	}
	if p.Calibration, err = drift.Calibrate(p, rows, o.window, o.windows, o.alpha, drift.Config{}, 1); err != nil {
		return err
	}
	path := o.out
	if path == "" {
		path = filepath.Join(o.repository, model, strconv.Itoa(p.Version), drift.FileName)
	}
	if err := p.Save(path); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: %d rows, %d features; drift threshold %.3f for windows of %d at alpha %g\n",
		path, p.Rows, len(p.Features()), p.Calibration.Threshold, o.window, o.alpha)
	return err
}

func profileCaptured(ctx context.Context, o profileOptions, model string) (*drift.Profile, []drift.Row, error) {
	store, err := o.store.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	recs, err := store.Records(ctx, monitor.Query{Model: model, Version: o.version, Limit: o.captured})
	if err != nil {
		return nil, nil, err
	}
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("no captured requests of %s", model)
	}
	p := drift.NewProfile(model, recs[0].Version, fmt.Sprintf("first %d captured requests", len(recs)))
	var rows []drift.Row
	for _, r := range recs {
		rs, err := drift.RecordRows(r)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, rs...)
	}
	for _, r := range rows {
		p.Add(r)
	}
	return p, rows, nil
}

type driftOptions struct {
	repository string
	version    int
	windows    int
	asJSON     bool
	html       string
	store      storeFlags
	flags      driftFlags
}

func newDriftCmd() *cobra.Command {
	o := driftOptions{}
	cmd := &cobra.Command{
		Use:   "drift MODEL",
		Short: "Report the drift of a model version's latest captured windows",
		Long: `Drift compares the last --windows windows of captured requests of MODEL/VERSION
with the version's profile (inferd profile) and prints, for each window, whether
it drifted, its dataset drift score against the calibrated threshold, the share
of drifted features, the prediction drift and the most drifted features.`,
		Example: `  inferd drift digits --version 1 --repository models --data-dir /var/lib/inferd`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrift(cmd.Context(), cmd.OutOrStdout(), args[0], o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.repository, "repository", "models", "model repository: a directory or object storage (s3://BUCKET/PREFIX, gs://..., azblob://...)")
	fs.IntVar(&o.version, "version", 1, "model version")
	fs.IntVar(&o.windows, "windows", 3, "latest windows to report")
	fs.BoolVar(&o.asJSON, "json", false, "print the reports as JSON")
	fs.StringVar(&o.html, "html", "", "also write an HTML report (self-contained, with histograms) to this file")
	o.store.register(fs)
	o.flags.register(fs)
	return cmd
}

func runDrift(ctx context.Context, out io.Writer, model string, o driftOptions) error {
	cfg, err := o.flags.config()
	if err != nil {
		return err
	}
	if o.windows < 1 || o.windows > 1000 {
		return fmt.Errorf("--windows must be between 1 and 1000")
	}
	p, err := loadProfile(ctx, o.repository, model, o.version)
	if err != nil {
		return fmt.Errorf("%w (build it with inferd profile)", err)
	}
	store, err := o.store.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	rows, err := latestRows(ctx, store, model, o.version, o.windows*o.flags.window)
	if err != nil {
		return err
	}
	var reports []drift.Report
	var windows []drift.HTMLWindow
	for start := 0; start+o.flags.window <= len(rows); start += o.flags.window {
		win := rows[start : start+o.flags.window]
		reports = append(reports, drift.Compare(p, win, cfg))
		windows = append(windows, drift.HTMLWindow{Rows: win, Report: reports[len(reports)-1]})
	}
	if len(reports) == 0 {
		return fmt.Errorf("%s version %d: %d captured rows, fewer than one window of %d", model, o.version, len(rows), o.flags.window)
	}
	if o.html != "" {
		if err := writeDriftHTML(o.html, p, windows, cfg); err != nil {
			return err
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(reports)
	}
	return writeDriftText(out, model, o.version, reports)
}

// latestRows returns the feature rows of the last n captured rows.
func latestRows(ctx context.Context, store monitor.Store, model string, version, n int) ([]drift.Row, error) {
	var rows []drift.Row
	_, err := exportEach(ctx, store, monitor.Query{Model: model, Version: version}, func(r monitor.Record) error {
		rs, err := drift.RecordRows(r)
		rows = append(rows, rs...)
		if len(rows) > 2*n {
			rows = append([]drift.Row(nil), rows[len(rows)-n:]...)
		}
		return err
	})
	if len(rows) > n {
		rows = rows[len(rows)-n:]
	}
	return rows, err
}

func exportEach(ctx context.Context, store monitor.Store, q monitor.Query, fn func(monitor.Record) error) (int, error) {
	return export.Each(ctx, store, q, 0, fn)
}

func writeDriftHTML(path string, p *drift.Profile, windows []drift.HTMLWindow, cfg drift.Config) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := drift.WriteHTML(f, p, windows, cfg); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

func writeDriftText(out io.Writer, model string, version int, reports []drift.Report) error {
	w := &errWriter{w: out}
	for i, r := range reports {
		verdict := "no drift"
		if r.Detected {
			verdict = "DRIFT"
		}
		w.printf("%s version %d, window %d of %d (%d requests): %s\n", model, version, i+1, len(reports), r.Rows, verdict)
		w.printf("  dataset score %.3f (threshold %.3f); %.0f%% of %d features drifted\n", r.Score, r.Threshold, 100*r.Share, len(r.Features))
		if !math.IsNaN(r.EstimatedAccuracy) {
			w.printf("  estimated accuracy (mean confidence, no labels) %.3f; reference %.3f\n", r.EstimatedAccuracy, r.ReferenceConfidence)
		}
		if p := r.Prediction; p != nil {
			w.printf("  prediction drift: %s %s=%.3f p=%s\n", p.Feature, p.Test, p.Score, pstr(p.PValue))
		}
		w.printf("  %-28s %-13s %10s %10s %s\n", "feature", "test", "score", "p", "drifted")
		for _, f := range r.Top(10) {
			w.printf("  %-28s %-13s %10.4f %10s %v\n", f.Feature, f.Test, f.Score, pstr(f.PValue), f.Drifted)
		}
	}
	return w.err
}

func pstr(p float64) string {
	if math.IsNaN(p) {
		return "-"
	}
	return fmt.Sprintf("%.3g", p)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

type exportOptions struct {
	version     int
	format, out string
	input       string
	labeled     bool
	limit       int
	store       storeFlags
}

func newDataCmd() *cobra.Command {
	data := &cobra.Command{Use: "data", Short: "Captured requests as data for retraining"}
	o := exportOptions{}
	cmd := &cobra.Command{
		Use:   "export MODEL",
		Short: "Write captured requests, with their feedback labels, as JSON Lines, Parquet or an image folder",
		Long: `Export writes MODEL's captured requests with the feedback labels joined:
--format jsonl, one record a line (request id, version, time, latency, client,
headers, input and output tensors, prediction, label; images as {"b64": …});
--format parquet, one row per request row with a column per tensor
(input.NAME, output.NAME: lists of numbers, or the bytes of encoded images)
beside request_id, version, time, latency_ns, client_id, prediction and label;
or --format images, the image input of each request in OUT/<label>/
(OUT/unlabeled/ without a label) as it was sent, a folder inferd profile
--dataset and inferd eval read.`,
		Example: `  inferd data export digits --data-dir /var/lib/inferd --out digits.jsonl
  inferd data export digits --data-dir /var/lib/inferd --format parquet --out digits.parquet
  inferd data export digits --data-dir /var/lib/inferd --format images --labeled --out retrain/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd.Context(), cmd.OutOrStdout(), args[0], o)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&o.version, "version", 0, "only this version (default: every version)")
	fs.StringVar(&o.format, "format", "jsonl", "jsonl, parquet or images")
	fs.StringVar(&o.out, "out", "", "output file (jsonl, parquet; - for stdout) or directory (images)")
	fs.StringVar(&o.input, "input", "input", "the image input (--format images)")
	fs.BoolVar(&o.labeled, "labeled", false, "only requests with a feedback label")
	fs.IntVar(&o.limit, "limit", 0, "at most this many requests (0: all)")
	o.store.register(fs)
	data.AddCommand(cmd)
	return data
}

func runExport(ctx context.Context, stdout io.Writer, model string, o exportOptions) error {
	if o.out == "" {
		return fmt.Errorf("give --out")
	}
	store, err := o.store.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	q := monitor.Query{Model: model, Version: o.version, Labeled: o.labeled}
	var n int
	switch o.format {
	case "jsonl", "parquet":
		w, closeOut, err := outFile(o.out, stdout)
		if err != nil {
			return err
		}
		if o.format == "jsonl" {
			n, err = export.JSONL(ctx, store, q, o.limit, w)
		} else {
			n, err = export.Parquet(ctx, store, q, o.limit, w)
		}
		if cerr := closeOut(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case "images":
		if n, err = export.Images(ctx, store, q, o.limit, o.input, o.out); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--format: %q is not jsonl, parquet or images", o.format)
	}
	if o.out == "-" {
		return nil
	}
	_, err = fmt.Fprintf(stdout, "%s: %d %s written\n", o.out, n, map[string]string{"jsonl": "requests", "parquet": "rows", "images": "images"}[o.format])
	return err
}

func outFile(path string, stdout io.Writer) (io.Writer, func() error, error) {
	if path == "-" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}

// loadProfile reads a version's profile from the repository, a directory
// or object storage (where it is a file of the version, listed in its
// marker).
func loadProfile(ctx context.Context, repo, model string, version int) (*drift.Profile, error) {
	name := path.Join(strconv.Itoa(version), drift.FileName)
	if !bucket.IsURL(repo) {
		return drift.LoadFS(os.DirFS(filepath.Join(repo, model)), name)
	}
	src, err := bucket.Open(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("--repository: %w", err)
	}
	defer src.Close()
	fsys, err := src.FS(model)
	if err != nil {
		return nil, err
	}
	return drift.LoadFS(fsys, name)
}
