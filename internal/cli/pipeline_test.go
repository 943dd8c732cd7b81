package cli_test

import (
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
// seed, v2 and gRPC protocols with every request answered.
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
		// read-number ranks nothing: the server says so.
		canvas := filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", "140_0.png")
		out, err := run(t, "predict", "--url", url, "read-number", canvas)
		if err == nil || !strings.Contains(err.Error()+out, `model "read-number" has no score output to rank`) {
			t.Errorf("%s: predict read-number = %v\n%s\nwant the server's refusal", url, err, out)
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
