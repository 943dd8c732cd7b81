package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine/ort"
	"github.com/inferd/inferd/internal/cli"
	"github.com/inferd/inferd/internal/testutil"
)

func execute(args ...string) (string, error) {
	cmd := cli.NewRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestPerf(t *testing.T) {
	model := filepath.Join(testutil.ExamplesDir(), "digits-mlp", "1", "model.onnx")
	out, err := execute("perf", model, "--batch", "1,4", "--iterations", "3", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep struct {
		Results []struct {
			Engine string  `json:"engine"`
			Batch  int     `json:"batch"`
			Runs   int     `json:"runs"`
			Median float64 `json:"median_ms"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Results) != 2 || rep.Results[1].Batch != 4 || rep.Results[1].Runs != 3 || rep.Results[0].Engine != "native" {
		t.Errorf("results %+v, want native at batches 1 and 4, 3 runs each", rep.Results)
	}
	out, err = execute("perf", model, "--iterations", "2", "--input", "input=0.5")
	if err != nil || !strings.Contains(out, "samples/s") || !strings.Contains(out, "native") {
		t.Errorf("text report: %v\n%s", err, out)
	}
}

func TestPerfErrors(t *testing.T) {
	model := filepath.Join(testutil.ExamplesDir(), "digits-mlp", "1", "model.onnx")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no model", []string{"perf"}, "accepts 1 arg"},
		{"both bounds", []string{"perf", model, "--duration", "1s", "--iterations", "3"}, "not both"},
		{"bad dim", []string{"perf", model, "--dim", "seq"}, "--dim"},
		{"bad batch", []string{"perf", model, "--batch", "0"}, "batch size 0"},
		{"unknown engine", []string{"perf", model, "--engines", "native,nope"}, "unknown engine"},
		{"bad input", []string{"perf", model, "--input", "input"}, "--input"},
		{"input twice", []string{"perf", model, "--input", "input=1", "--input", "input=2"}, "given twice"},
		{"unknown input", []string{"perf", model, "--input", "pixels=1", "--iterations", "1"}, "no such input"},
	}
	if !ort.Compiled || os.Getenv(ort.EnvLibrary) == "" {
		// Without ONNX Runtime, asking for it says how to get it.
		want := "--ort-library"
		if !ort.Compiled {
			want = "-tags ort"
		}
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"ort unavailable", []string{"perf", model, "--engines", "native,ort", "--iterations", "1"}, want})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := execute(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q\n%s", err, tc.want, out)
			}
		})
	}
}
