package cli

import (
	"fmt"
	"testing"
	"time"
)

// The defaults of --url and --concurrency depend on --protocol and --rate;
// --help shows each once.
func TestBenchDefaults(t *testing.T) {
	for _, tc := range []struct {
		name        string
		o           benchOptions
		url         string
		concurrency []int
	}{
		{"seed", benchOptions{protocol: "seed"}, "http://127.0.0.1:8080", []int{1, 8, 64}},
		{"v2-grpc", benchOptions{protocol: "v2-grpc", protocolSet: true}, "grpc://127.0.0.1:8081", []int{1, 8, 64}},
		{"open loop", benchOptions{protocol: "seed", rate: 100}, "http://127.0.0.1:8080", []int{64}},
		{"given", benchOptions{protocol: "seed", url: "http://127.0.0.1:9", urlSet: true, concurrency: []int{2}, concurrencySet: true}, "http://127.0.0.1:9", []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.model, o.inputs, o.timeout, o.duration = "digits", []string{"x.png"}, time.Second, time.Second
			if err := o.resolve(); err != nil {
				t.Fatal(err)
			}
			if o.url != tc.url || fmt.Sprint(o.concurrency) != fmt.Sprint(tc.concurrency) {
				t.Errorf("url %q, concurrency %v; want %q, %v", o.url, o.concurrency, tc.url, tc.concurrency)
			}
		})
	}
	flags := newBenchCmd().Flags()
	for _, name := range []string{"url", "concurrency"} {
		if f := flags.Lookup(name); f.DefValue != "" && f.DefValue != "[]" {
			t.Errorf("--%s shows the default %q besides the ones its usage gives", name, f.DefValue)
		}
	}
}
