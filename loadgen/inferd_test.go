package loadgen_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/loadgen"
	"github.com/inferd/inferd/server/servertest"
)

func inputs(t *testing.T, names ...string) []loadgen.Input {
	t.Helper()
	var in []loadgen.Input
	for _, n := range names {
		p := filepath.Join(testutil.DigitsDir(), n)
		in = append(in, loadgen.Input{Name: p, Data: testutil.ReadFile(t, p)})
	}
	return in
}

// Every protocol and kind of input against a real inferd: every request
// succeeds and the server's timing comes back.
func TestInferd(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	images := inputs(t, "images/7_0.png", "images/3_1.png")
	tensors := inputs(t, "sample-input.json")
	for _, tc := range []struct {
		name     string
		protocol loadgen.Protocol
		url      string
		model    string
		in       []loadgen.Input
	}{
		{"seed image", loadgen.Seed, s.URL, "digits/1", images},
		{"seed json", loadgen.Seed, s.URL, "digits-mlp", tensors},
		{"v2 image", loadgen.V2, s.URL, "digits", images},
		{"v2 json", loadgen.V2, s.URL, "digits-mlp/1", tensors},
		{"v2-grpc image", loadgen.V2GRPC, "grpc://" + s.GRPCAddr, "digits-mlp", images},
		{"v2-grpc json", loadgen.V2GRPC, s.GRPCAddr, "digits/1", tensors},
	} {
		t.Run(tc.name, func(t *testing.T) {
			model, version, _ := strings.Cut(tc.model, "/")
			tg, err := loadgen.NewTarget(context.Background(), loadgen.TargetConfig{URL: tc.url, Protocol: tc.protocol, Model: model, Version: version, Inputs: tc.in})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			res, err := loadgen.Run(context.Background(), tg, loadgen.Config{Concurrency: 3, Requests: 30})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != 30 || res.Failed != 0 {
				t.Fatalf("%d OK, errors %v %q", res.OK, res.Errors, res.ErrorMessages)
			}
			if res.Server == nil || res.Server.Count != 30 || res.Server.Compute.Max <= 0 || res.Server.MeanBatch < 1 {
				t.Errorf("server timing %+v, want one per request", res.Server)
			}
		})
	}
}

func TestInferdErrors(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	images := inputs(t, "images/7_0.png")
	ctx := context.Background()
	for _, tc := range []struct {
		protocol loadgen.Protocol
		url      string
	}{{loadgen.V2, s.URL}, {loadgen.V2GRPC, s.GRPCAddr}} {
		_, err := loadgen.NewTarget(ctx, loadgen.TargetConfig{URL: tc.url, Protocol: tc.protocol, Model: "nope", Inputs: images})
		if err == nil || !strings.Contains(err.Error(), `metadata of model "nope"`) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("%s, unknown model: %v", tc.protocol, err)
		}
	}
	tg, err := loadgen.NewTarget(ctx, loadgen.TargetConfig{URL: s.URL, Protocol: loadgen.Seed, Model: "nope", Inputs: images})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	if o := tg.Do(ctx, 0); o.OK || o.Status != "404" || !strings.Contains(o.Message, "nope") {
		t.Errorf("seed, unknown model: %+v", o)
	}
	// A JSON body whose tensor the model refuses.
	bad := []loadgen.Input{{Name: "bad.json", Data: []byte(`{"inputs": {"input": [[1, 2]]}}`)}}
	for _, tc := range []struct {
		protocol loadgen.Protocol
		url      string
		status   string
	}{{loadgen.Seed, s.URL, "400"}, {loadgen.V2, s.URL, "400"}, {loadgen.V2GRPC, s.GRPCAddr, "INVALID_ARGUMENT"}} {
		tg, err := loadgen.NewTarget(ctx, loadgen.TargetConfig{URL: tc.url, Protocol: tc.protocol, Model: "digits", Inputs: bad})
		if err != nil {
			t.Fatal(err)
		}
		if o := tg.Do(ctx, 0); o.OK || o.Status != tc.status || o.Message == "" {
			t.Errorf("%s, bad tensor: %+v, want %s", tc.protocol, o, tc.status)
		}
		tg.Close()
	}
}

// A model with a tiny batcher queue, loaded beyond it: the requests it
// cannot queue get 429 (RESOURCE_EXHAUSTED over gRPC) and are counted as
// such, the others succeed.
func TestInferdBackpressure(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(testutil.ExamplesDir(), "digits")
	dst := filepath.Join(root, "digits")
	if err := os.MkdirAll(filepath.Join(dst, "1"), 0o755); err != nil {
		t.Fatal(err)
	}
	config := string(testutil.ReadFile(t, filepath.Join(src, "config.yaml"))) +
		"batching: {max_batch_size: 2, max_queue_delay: 1ms, max_queue_size: 1}\n"
	for name, data := range map[string][]byte{
		"config.yaml": []byte(config), "labels.txt": testutil.ReadFile(t, filepath.Join(src, "labels.txt")),
		"1/model.onnx": testutil.ReadFile(t, filepath.Join(src, "1", "model.onnx")),
	} {
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := servertest.Start(t, root)
	for _, tc := range []struct {
		protocol loadgen.Protocol
		url      string
		status   string
	}{{loadgen.Seed, s.URL, "429"}, {loadgen.V2GRPC, s.GRPCAddr, "RESOURCE_EXHAUSTED"}} {
		t.Run(string(tc.protocol), func(t *testing.T) {
			tg, err := loadgen.NewTarget(context.Background(), loadgen.TargetConfig{URL: tc.url, Protocol: tc.protocol, Model: "digits", Inputs: inputs(t, "images/7_0.png")})
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			res, err := loadgen.Run(context.Background(), tg, loadgen.Config{Concurrency: 32, Requests: 400})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK == 0 || res.Errors[tc.status] == 0 || res.Errors[tc.status] != res.Failed || res.ErrorMessages[tc.status] == "" {
				t.Fatalf("%d OK, errors %v %q; want some OK and the rest %s", res.OK, res.Errors, res.ErrorMessages, tc.status)
			}
			t.Logf("%d OK, %d %s (%q)", res.OK, res.Failed, tc.status, res.ErrorMessages[tc.status])
		})
	}
}
