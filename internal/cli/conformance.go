package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"time"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/conformance"
	"github.com/inferd/inferd/engine"
)

type conformanceOptions struct {
	suite    string
	run      string
	json     bool
	engine   string
	expected string
	update   bool
	jobs     int
	threads  int
	timeout  time.Duration
}

func newConformanceCmd() *cobra.Command {
	o := conformanceOptions{}
	cmd := &cobra.Command{
		Use:   "conformance [flags]",
		Short: "Run the ONNX backend test suite on an engine",
		Long: `Conformance runs the official ONNX backend test suite (Debian package
libonnx-testdata) on an engine: every case's model.onnx is loaded, run on each
of its test data sets, and its outputs compared with the expected ones (floats
within rtol 1e-3 and atol 1e-7, everything else exactly).

It prints one line per failing or skipped case with the reason, a table per
suite directory and per operator, and ends with "N passed, M failed, K skipped".
With --expected FILE, a case listed in FILE that does not pass is a regression
and the command exits with status 1; --update-expected rewrites FILE from the
run instead (cases filtered out by --run keep their entry).`,
		Example: `  inferd conformance
  inferd conformance --run 'node/test_(conv|relu)' --json
  inferd conformance --engine ort --expected conformance/testdata/ort.pass
  inferd conformance --expected conformance/testdata/native.pass`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConformance(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.suite, "suite", conformance.DefaultSuite, "the suite's data directory, one of its directories (node, simple, ...) or one case")
	fs.StringVar(&o.run, "run", "", "run only the cases whose name (such as node/test_abs) matches this regular expression")
	fs.BoolVar(&o.json, "json", false, "print the report as JSON")
	fs.StringVar(&o.engine, "engine", "native", "the engine to test")
	fs.StringVar(&o.expected, "expected", "", "expected-pass list: exit 1 when a listed case does not pass")
	fs.BoolVar(&o.update, "update-expected", false, "rewrite the --expected list from this run instead of checking it")
	fs.IntVar(&o.jobs, "jobs", 0, "cases run at once (0: one per CPU)")
	fs.IntVar(&o.threads, "threads", 1, "intra-op threads of each session")
	fs.DurationVar(&o.timeout, "timeout", conformance.DefaultTimeout, "time limit of one case")
	addORTLibraryFlag(fs)
	return cmd
}

func runConformance(ctx context.Context, w io.Writer, o conformanceOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.update && o.expected == "" {
		return errors.New("--update-expected needs --expected FILE")
	}
	e, err := engine.Get(o.engine)
	if err != nil {
		return err
	}
	var filter *regexp.Regexp
	if o.run != "" {
		if filter, err = regexp.Compile(o.run); err != nil {
			return fmt.Errorf("--run: %w", err)
		}
	}
	var expected map[string]bool
	if o.expected != "" && !o.update {
		if expected, err = conformance.ReadExpected(o.expected); err != nil {
			return err
		}
	}
	cases, err := conformance.Discover(o.suite, filter)
	if err != nil {
		return err
	}
	rep := conformance.Run(ctx, e, cases, conformance.Options{Jobs: o.jobs, Threads: o.threads, Timeout: o.timeout})
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.update {
		if err := updateExpected(o.expected, e.Name(), rep); err != nil {
			return err
		}
	}
	return writeConformance(w, rep, expected, o)
}

// updateExpected rewrites the expected list at path from rep (see
// Report.Updated); a missing list is written anew.
func updateExpected(path, engineName string, rep *conformance.Report) error {
	old, err := conformance.ReadExpected(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return conformance.WriteExpected(path, engineName, rep.Updated(old))
}

// writeConformance writes the report, checked against the expected list
// when there is one (nil: none), and fails when expected cases no longer
// pass.
func writeConformance(w io.Writer, rep *conformance.Report, expected map[string]bool, o conformanceOptions) error {
	var chk *conformance.Check
	if expected != nil {
		chk = rep.Check(expected)
	}
	var err error
	if o.json {
		err = rep.WriteJSON(w, chk)
	} else {
		err = rep.WriteText(w, chk)
	}
	if err != nil {
		return err
	}
	if chk != nil && !chk.OK() {
		return fmt.Errorf("%d cases of %s no longer pass", len(chk.Regressions), o.expected)
	}
	return nil
}
