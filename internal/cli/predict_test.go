package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/cli"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := cli.NewRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// inferd predict against a real server, over REST and gRPC: images print
// their top classes, JSON files their output tensors.
func TestPredict(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	images := filepath.Join(testutil.DigitsDir(), "images")
	ref := testutil.LoadReference(t)
	for _, url := range []string{s.URL, "grpc://" + s.GRPCAddr} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			files := []string{filepath.Join(images, ref.Images[0].File), filepath.Join(images, ref.Images[7].File)}
			out, err := run(t, "predict", "--url", url, "--top-k", "2", "digits/1", files[0], files[1])
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 5 || strings.Join(strings.Fields(lines[0]), " ") != "FILE RANK LABEL INDEX SCORE" {
				t.Fatalf("output:\n%s", out)
			}
			for i, f := range files {
				fields := strings.Fields(lines[1+2*i])
				want := ref.Images[[]int{0, 7}[i]].Digits.Predicted
				if fields[0] != f || fields[1] != "1" || fields[2] != want || fields[3] != want {
					t.Errorf("line %q, want %s ranked 1 with label %s", lines[1+2*i], f, want)
				}
			}
			for _, extra := range [][]string{nil, {"--binary"}} {
				args := append(append([]string{"predict", "--url", url}, extra...), "digits-mlp", filepath.Join(testutil.DigitsDir(), "sample-input.json"))
				out, err = run(t, args...)
				if err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				var ans struct {
					File, ModelName, ModelVersion string
					Outputs                       []struct {
						Name     string
						Datatype string
						Shape    []int
						Data     [][]float64
					}
				}
				if err := json.Unmarshal([]byte(out), &ans); err != nil {
					t.Fatalf("not JSON (%v):\n%s", err, out)
				}
				if len(ans.Outputs) != 1 || ans.Outputs[0].Name != "logits" || len(ans.Outputs[0].Data) != 1 || len(ans.Outputs[0].Data[0]) != 10 {
					t.Errorf("answer %s", out)
				}
			}
		})
	}
}

func TestPredictErrors(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	png := filepath.Join(testutil.DigitsDir(), "images", "7_0.png")
	js := filepath.Join(testutil.DigitsDir(), "sample-input.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no files", []string{"predict", "digits"}, "requires at least 2 arg(s)"},
		{"bad url", []string{"predict", "--url", "ftp://x", "digits", png}, "--url"},
		{"unknown model", []string{"predict", "--url", s.URL, "cats", png}, `server answered 404: not found: model "cats"`},
		{"unknown version over gRPC", []string{"predict", "--url", "grpc://" + s.GRPCAddr, "digits/9", png}, "NotFound"},
		{"mixed files", []string{"predict", "--url", s.URL, "digits", png, js}, "either images or .json files"},
		{"not a tensor file", []string{"predict", "--url", s.URL, "digits", filepath.Join(testutil.DigitsDir(), "README.md")}, "neither an image"},
		{"missing file", []string{"predict", "--url", s.URL, "digits", "/nonexistent.png"}, "no such file"},
		{"top-k", []string{"predict", "--url", s.URL, "--top-k", "0", "digits", png}, "--top-k must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
		})
	}
}
