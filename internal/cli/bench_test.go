package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
)

// inferd bench against a real server: the table, --json, the gRPC URL
// choosing the protocol, and the open loop.
func TestBench(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	images := filepath.Join(testutil.DigitsDir(), "images")
	png1, png2 := filepath.Join(images, "7_0.png"), filepath.Join(images, "3_1.png")
	sample := filepath.Join(testutil.DigitsDir(), "sample-input.json")

	out, err := run(t, "bench", "--url", s.URL, "--model", "digits-mlp", "--requests", "20", "--concurrency", "1,2", "--warmup", "0", "--input", png1, png2)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "seed "+s.URL+" digits-mlp, 2 input(s), 20 requests per run") ||
		strings.Fields(lines[1])[0] != "CONC" {
		t.Fatalf("output:\n%s", out)
	}
	for i, conc := range []string{"1", "2"} {
		f := strings.Fields(lines[2+i])
		if f[0] != conc || f[1] != "20" || f[2] != "20" || f[3] != "0" || f[len(f)-1] == "n/a" {
			t.Errorf("row %q: want concurrency %s, 20 sent, 20 OK, 0 failed, a batch size", lines[2+i], conc)
		}
	}

	type report struct {
		Protocol string
		Results  []struct {
			Mode        string
			Concurrency int
			Rate        float64
			Sent, OK    int
			Latency     struct {
				P50US float64 `json:"p50_us"`
			}
			Server *struct{ Count int }
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		mode string
		conc int
	}{
		{"grpc closed", []string{"--url", "grpc://" + s.GRPCAddr, "--model", "digits/1", "--input", sample, "--concurrency", "3"}, "closed", 3},
		{"v2 open", []string{"--url", s.URL, "--protocol", "v2", "--model", "digits", "--input", png1, "--rate", "400"}, "open", 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"bench", "--json", "--requests", "20", "--warmup", "50ms"}, tc.args...)
			out, err := run(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			var rep report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("not JSON (%v):\n%s", err, out)
			}
			if len(rep.Results) != 1 {
				t.Fatalf("report %+v", rep)
			}
			r := rep.Results[0]
			if r.Mode != tc.mode || r.Concurrency != tc.conc || r.Sent != 20 || r.OK != 20 || r.Latency.P50US <= 0 || r.Server == nil || r.Server.Count != 20 {
				t.Errorf("result %+v", r)
			}
		})
	}
	if rep := (report{}); json.Unmarshal([]byte(mustRun(t, "bench", "--json", "--url", "grpc://"+s.GRPCAddr, "--model", "digits", "--input", png1, "--requests", "2", "--concurrency", "1", "--warmup", "0")), &rep) != nil || rep.Protocol != "v2-grpc" {
		t.Errorf("a grpc:// URL did not choose v2-grpc: %+v", rep)
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

func TestBenchErrors(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	png := filepath.Join(testutil.DigitsDir(), "images", "7_0.png")
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"no model", []string{"--input", png}, "--model is required"},
		{"no input", []string{"--model", "digits"}, "--input is required"},
		{"remote", []string{"--url", "http://192.0.2.1:8080", "--model", "digits", "--input", png}, "192.0.2.1 is not a loopback address; give --allow-remote"},
		{"protocol", []string{"--protocol", "soap", "--model", "digits", "--input", png}, `--protocol: protocol "soap"`},
		{"grpc url with seed", []string{"--url", "grpc://127.0.0.1:1", "--protocol", "seed", "--model", "digits", "--input", png}, "use --protocol v2-grpc"},
		{"unbounded", []string{"--duration", "0", "--requests", "0", "--model", "digits", "--input", png}, "give a positive --duration or --requests"},
		{"bad concurrency", []string{"--concurrency", "4,0", "--model", "digits", "--input", png}, "--concurrency 0"},
		{"missing file", []string{"--model", "digits", "--input", "nope.png"}, "nope.png"},
		{"unknown model", []string{"--url", s.URL, "--model", "nope", "--input", png}, `the server answered 404: not found: model "nope"`},
		{"unknown model v2", []string{"--url", s.URL, "--protocol", "v2", "--model", "nope", "--input", png}, `metadata of model "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, append([]string{"bench", "--requests", "1", "--warmup", "0"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q\n%s", err, tc.err, out)
			}
		})
	}
}
