package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/ort"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/onnx"
)

func newModelInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect MODEL.onnx",
		Short: "Print a model file's inputs, outputs, operators and which engines run it",
		Long: `Inspect decodes an ONNX file and prints its inputs and outputs (name, datatype,
shape: N or another name for a variable dimension), the operator sets it imports,
its producer, the operator types it uses with their counts, and whether each
engine of this binary can load it (listing the operators it lacks if not).`,
		Example: `  inferd model inspect examples/models/digits/1/model.onnx
  inferd model inspect my.onnx --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelInspect(cmd.Context(), cmd.OutOrStdout(), args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

// runModelInspect prints the summary of the model file at path.
func runModelInspect(ctx context.Context, w io.Writer, path string, asJSON bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	m, err := onnx.Decode(data, onnx.WithBaseDir(filepath.Dir(path)))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	s := model.Summarize(m)
	file := engine.ModelFile{Name: path, Data: data, Dir: engine.DirFS(filepath.Dir(path))}
	s.Engines = engineSupport(ctx, file)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printSummary(w, s)
	return nil
}

// engineSupport loads the model in each engine of the binary to tell
// whether it can run it; an engine that is not compiled in says so.
func engineSupport(ctx context.Context, file engine.ModelFile) []model.EngineSupport {
	var out []model.EngineSupport
	for _, name := range engine.Names() {
		es := model.EngineSupport{Engine: name}
		if name == ort.Name && !ort.Compiled {
			es.Detail = "not compiled in (build with -tags ort)"
			out = append(out, es)
			continue
		}
		eng, err := engine.Get(name)
		if err == nil {
			var sess engine.Session
			if sess, err = eng.Load(ctx, file, engine.Options{IntraOpThreads: 1}); err == nil {
				_ = sess.Close()
			}
		}
		es.Supported = err == nil
		if err != nil {
			es.Detail = err.Error()
		} else {
			es.Detail = "supports every operator"
		}
		out = append(out, es)
	}
	return out
}

// printSummary prints a model summary as text.
func printSummary(w io.Writer, s *model.Summary) {
	if s.Producer != "" {
		fmt.Fprintf(w, "producer:  %s\n", s.Producer)
	}
	fmt.Fprintf(w, "opsets:    %s (IR version %d)\n", s.OpsetText(), s.IRVersion)
	writeValueList(w, "inputs", s.Inputs)
	writeValueList(w, "outputs", s.Outputs)
	ops := make([]string, len(s.Operators))
	nodes := 0
	for i, op := range s.Operators {
		ops[i] = fmt.Sprintf("%s %d", op.Op, op.Count)
		nodes += op.Count
	}
	fmt.Fprintf(w, "operators: %d nodes of %d types: %s\n", nodes, len(ops), strings.Join(ops, ", "))
	fmt.Fprintln(w, "engines:")
	for _, e := range s.Engines {
		mark := "no "
		if e.Supported {
			mark = "yes"
		}
		fmt.Fprintf(w, "  %-8s %s  %s\n", e.Engine, mark, e.Detail)
	}
}
