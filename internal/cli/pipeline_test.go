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
// score output named, as it has two outputs), and bench drives it on the
// seed, v2 and gRPC protocols with every request answered.
func TestPredictAndBenchPipeline(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	img := filepath.Join(testutil.DigitsDir(), "images", "7_0.png")
	for _, url := range []string{s.URL, "grpc://" + s.GRPCAddr} {
		out, err := run(t, "predict", "--url", url, "--top-k", "1", "--output", "probs", "digits-ensemble", img)
		if err != nil {
			t.Fatalf("%s: %v\n%s", url, err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if f := strings.Fields(lines[len(lines)-1]); len(lines) != 2 || f[0] != img || f[2] != "7" {
			t.Errorf("%s: output:\n%s\nwant %s ranked 7", url, out, img)
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
