package loadgen

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	lat := Latency{Count: 990, Mean: 300 * time.Microsecond, P50: 250 * time.Microsecond, P90: 400 * time.Microsecond,
		P99: 1500 * time.Microsecond, P999: 12 * time.Millisecond, Max: 1200 * time.Millisecond}
	return &Report{
		URL: "http://127.0.0.1:8080", Protocol: Seed, Model: "digits", Version: "1", Inputs: []string{"a.png"},
		DurationS: 10, WarmupS: 1,
		Results: []*Result{
			{Mode: "closed", Concurrency: 8, Elapsed: 10 * time.Second, Sent: 1000, OK: 990, Failed: 10, Throughput: 99,
				Latency: lat, FailedLatency: Latency{Count: 10, P50: 50 * time.Microsecond, P99: 80 * time.Microsecond, Max: 90 * time.Microsecond},
				Errors: map[string]int64{"429": 7, "timeout": 3}, ErrorMessages: map[string]string{"429": "queue full"},
				Server: &ServerTiming{Count: 990, Queue: Latency{Count: 990, P50: 20 * time.Microsecond, P99: 900 * time.Microsecond},
					Compute: Latency{Count: 990, P50: 180 * time.Microsecond, P99: 2 * time.Millisecond}, MeanBatch: 3.5}},
			{Mode: "closed", Concurrency: 64, Elapsed: 10 * time.Second, Sent: 5, OK: 5, Throughput: 0.5, Latency: lat},
		},
	}
}

func TestWriteTable(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := [][]string{
		{"seed", "http://127.0.0.1:8080", "digits/1,", "1", "input(s),", "10.00s", "per", "run", "(warm-up", "1.00s)"},
		{"CONC", "SENT", "OK", "FAILED", "REQ/S", "P50", "P90", "P99", "P99.9", "MAX", "QUEUE", "P50/P99", "COMPUTE", "P50/P99", "BATCH"},
		{"8", "1000", "990", "10", "99", "250µs", "400µs", "1.50ms", "12.0ms", "1.20s", "20µs/900µs", "180µs/2.00ms", "3.5"},
		{"64", "5", "5", "0", "0", "250µs", "400µs", "1.50ms", "12.0ms", "1.20s", "n/a", "n/a", "n/a"},
	}
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); !reflect.DeepEqual(got, w) {
			t.Errorf("line %d: %q, want %q", i, got, w)
		}
	}
	if !strings.HasPrefix(lines[4], `failures at concurrency 8: 429 ×7 ("queue full"), timeout ×3 (failures took p50 50µs, p99 80µs)`) {
		t.Errorf("failure line %q", lines[4])
	}
}

func TestReportJSON(t *testing.T) {
	rep := sampleReport()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"elapsed_s":10`, `"p50_us":250`, `"p99_9_us":12000`, `"max_us":1200000`, `"throughput":99`, `"errors":{"429":7,"timeout":3}`, `"mean_batch":3.5`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON has no %s:\n%s", key, b)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back.Results[0], rep.Results[0])
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0µs", 87 * time.Microsecond: "87µs", 1250 * time.Microsecond: "1.25ms", 31240 * time.Microsecond: "31.2ms", 1500 * time.Millisecond: "1.50s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
