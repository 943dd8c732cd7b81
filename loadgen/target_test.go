package loadgen

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

func TestHostOf(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"http://127.0.0.1:8080", "127.0.0.1", ""},
		{"http://localhost:8080/", "localhost", ""},
		{"https://[::1]:8443", "::1", ""},
		{"grpc://127.0.0.1:8081", "127.0.0.1", ""},
		{"127.0.0.1:8081", "127.0.0.1", ""},
		{"http://example.com", "example.com", ""},
		{"8081", "", "want HOST:PORT"},
		{"http://:8080", "", "has no host"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := HostOf(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %q, %v; want error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct{ url, err string }{
		{"http://127.0.0.1:8080", ""},
		{"http://127.0.0.2:8080", ""},
		{"grpc://[::1]:8081", ""},
		{"127.0.0.1:8081", ""},
		{"http://192.0.2.10:8080", "192.0.2.10 is not a loopback address"},
		{"grpc://[2001:db8::1]:8081", "2001:db8::1 is not a loopback address"},
		{"http://0.0.0.0:8080", "0.0.0.0 is not a loopback address"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := CheckLoopback(context.Background(), tc.url)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestParseProtocol(t *testing.T) {
	for _, s := range []string{"seed", "v2", "v2-grpc"} {
		if p, err := ParseProtocol(s); err != nil || string(p) != s {
			t.Errorf("ParseProtocol(%q) = %q, %v", s, p, err)
		}
	}
	if _, err := ParseProtocol("tfserving"); err == nil || !strings.Contains(err.Error(), "want seed, v2 or v2-grpc") {
		t.Errorf("ParseProtocol(tfserving): %v", err)
	}
}

func TestCodeName(t *testing.T) {
	for c, want := range map[codes.Code]string{
		codes.OK: "OK", codes.ResourceExhausted: "RESOURCE_EXHAUSTED", codes.InvalidArgument: "INVALID_ARGUMENT",
		codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.NotFound: "NOT_FOUND",
	} {
		if got := codeName(c); got != want {
			t.Errorf("codeName(%v) = %q, want %q", c, got, want)
		}
	}
}

func TestNewTargetErrors(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		c    TargetConfig
		err  string
	}{
		{"no model", TargetConfig{URL: "http://127.0.0.1:1", Protocol: Seed, Inputs: []Input{{"a.png", png}}}, "no model name"},
		{"no input", TargetConfig{URL: "http://127.0.0.1:1", Protocol: Seed, Model: "m"}, "no input"},
		{"bad protocol", TargetConfig{URL: "http://127.0.0.1:1", Protocol: "soap", Model: "m", Inputs: []Input{{"a.png", png}}}, `protocol "soap"`},
		{"grpc url for seed", TargetConfig{URL: "grpc://127.0.0.1:1", Protocol: Seed, Model: "m", Inputs: []Input{{"a.png", png}}}, "want http://HOST:PORT"},
		{"http url for grpc", TargetConfig{URL: "http://127.0.0.1:1", Protocol: V2GRPC, Model: "m", Inputs: []Input{{"a.png", png}}}, "want grpc://HOST:PORT"},
		{"not json", TargetConfig{URL: "http://127.0.0.1:1", Protocol: Seed, Model: "m", Inputs: []Input{{"x.txt", []byte("hello")}}}, "x.txt: neither an image (PNG, JPEG, WebP) nor JSON"},
		{"v2 json on seed", TargetConfig{URL: "http://127.0.0.1:1", Protocol: Seed, Model: "m", Inputs: []Input{{"r.json", []byte(`{"inputs": [{"name": "x"}]}`)}}}, "send it with protocol v2"},
		{"json without inputs", TargetConfig{URL: "http://127.0.0.1:1", Protocol: Seed, Model: "m", Inputs: []Input{{"r.json", []byte(`{"input": {}}`)}}}, `no "inputs" object`},
		{"v2 server down", TargetConfig{URL: "http://127.0.0.1:1", Protocol: V2, Model: "m", Inputs: []Input{{"a.png", png}}}, `metadata of model "m"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := NewTarget(ctx, tc.c)
			if err == nil {
				tg.Close()
				t.Fatalf("no error, want %q", tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %q, want %q", err, tc.err)
			}
		})
	}
}
