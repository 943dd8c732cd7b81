package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
)

// inferd predict and inferd bench on pipelines, as on models: the
// digits-ensemble pipeline classifies images over REST and gRPC (its
// score output named, or left to the server, as it has two outputs),
// and bench drives it on the
// seed, v2 and gRPC protocols with every request answered. read-number,
// which ranks nothing, answers each canvas with its number and digit
// scores.
func TestPredictAndBenchPipeline(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	img := filepath.Join(testutil.DigitsDir(), "images", "7_0.png")
	for _, url := range []string{s.URL, "grpc://" + s.GRPCAddr} {
		// Without --output the server ranks the output config.yaml names.
		for _, output := range [][]string{{"--output", "probs"}, nil} {
			out, err := run(t, append(append([]string{"predict", "--url", url, "--top-k", "1"}, output...), "digits-ensemble", img)...)
			if err != nil {
				t.Fatalf("%s %v: %v\n%s", url, output, err, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if f := strings.Fields(lines[len(lines)-1]); len(lines) != 2 || f[0] != img || f[2] != "7" {
				t.Errorf("%s %v: output:\n%s\nwant %s ranked 7", url, output, out, img)
			}
		}
		// read-number ranks nothing: each canvas is sent alone and its
		// outputs printed, one JSON line per file.
		canvases := []string{"140_0.png", "4835_0.png"}
		for i, f := range canvases {
			canvases[i] = filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", f)
		}
		out, err := run(t, append([]string{"predict", "--url", url, "read-number"}, canvases...)...)
		if err != nil {
			t.Fatalf("%s: predict read-number: %v\n%s", url, err, out)
		}
		checkReadNumber(t, out, canvases)
		// Naming the output to rank still asks for classes: refused.
		out, err = run(t, "predict", "--url", url, "--output", "number", "read-number", canvases[0])
		if err == nil {
			t.Errorf("%s: predict --output number read-number = %s, want refused", url, out)
		}
	}
	for _, args := range [][]string{
		{"--url", s.URL},
		{"--url", s.URL, "--protocol", "v2"},
		{"--url", "grpc://" + s.GRPCAddr},
	} {
		out, err := run(t, append([]string{"bench", "--model", "digits-ensemble", "--requests", "10", "--concurrency", "2", "--warmup", "0", "--input", img}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if f := strings.Fields(lines[len(lines)-1]); len(f) < 4 || f[1] != "10" || f[2] != "10" || f[3] != "0" {
			t.Errorf("%v: output:\n%s\nwant 10 sent, 10 OK, 0 failed", args, out)
		}
	}
}

// checkReadNumber checks inferd predict's answer for read-number: a JSON
// line per canvas, in order, with the number and a score per digit.
func checkReadNumber(t *testing.T, out string, canvases []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(canvases) {
		t.Fatalf("output:\n%s\nwant a line per canvas", out)
	}
	for i, line := range lines {
		var ans struct {
			File      string `json:"file"`
			ModelName string `json:"model_name"`
			Outputs   []struct {
				Name string          `json:"name"`
				Data json.RawMessage `json:"data"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal([]byte(line), &ans); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		var number []string
		var scores []float64
		for _, o := range ans.Outputs {
			switch o.Name {
			case "number":
				_ = json.Unmarshal(o.Data, &number)
			case "digit_scores":
				_ = json.Unmarshal(o.Data, &scores)
			}
		}
		want, _, _ := strings.Cut(filepath.Base(canvases[i]), "_")
		if ans.File != canvases[i] || ans.ModelName != "read-number" || len(number) != 1 || number[0] != want || len(scores) != len(want) {
			t.Errorf("line %q: want %s read as %s with %d digit scores", line, canvases[i], want, len(want))
		}
	}
}
