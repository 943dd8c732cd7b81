package runner

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseTiming(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Timing
		err  string
	}{
		{"queue=120;compute=350;batch=8", Timing{Queue: 120 * time.Microsecond, Compute: 350 * time.Microsecond, Batch: 8}, ""},
		{"queue=0;compute=17", Timing{Queue: 0, Compute: 17 * time.Microsecond, Batch: 0}, ""},
		{" compute=5 ; queue=3 ;batch=1; ", Timing{Queue: 3 * time.Microsecond, Compute: 5 * time.Microsecond, Batch: 1}, ""},
		{"queue=1;compute=2;batch=4;engine=native", Timing{Queue: time.Microsecond, Compute: 2 * time.Microsecond, Batch: 4}, ""},
		{"queue=1;compute=2;batch=1;step.cnn=40;step.mlp=missing", Timing{Queue: time.Microsecond, Compute: 2 * time.Microsecond, Batch: 1,
			Steps: []StepTiming{{Name: "cnn", Duration: 40 * time.Microsecond}, {Name: "mlp", Missing: true}}}, ""},
		{"queue=1;compute=2;step.cnn=x", Timing{}, `step.cnn="x" is not a non-negative integer or missing`},
		{"queue=1", Timing{}, "want queue=<µs>;compute=<µs>"},
		{"", Timing{}, "want queue=<µs>;compute=<µs>"},
		{"queue=1;compute", Timing{}, `"compute" is not key=value`},
		{"queue=-1;compute=2", Timing{}, `queue="-1" is not a non-negative integer`},
		{"queue=1;compute=2.5", Timing{}, `compute="2.5" is not a non-negative integer`},
		{"queue=1;compute=2;batch=x", Timing{}, `batch="x" is not a non-negative integer`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseTiming(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if round, err := ParseTiming(got.String()); err != nil || !reflect.DeepEqual(round, tc.want) {
				t.Fatalf("%q parses back as %+v, %v; want %+v", got.String(), round, err, tc.want)
			}
		})
	}
}

// TestTimingString: the header value, exactly, in one allocation.
func TestTimingString(t *testing.T) {
	for _, tc := range []struct {
		in   Timing
		want string
	}{
		{Timing{Queue: 120 * time.Microsecond, Compute: 350 * time.Microsecond, Batch: 8}, "queue=120;compute=350;batch=8"},
		{Timing{}, "queue=0;compute=0;batch=0"},
		{Timing{Queue: time.Microsecond, Compute: 2 * time.Microsecond, Batch: 1,
			Steps: []StepTiming{{Name: "cnn", Duration: 40 * time.Microsecond}, {Name: "mlp", Missing: true}}}, "queue=1;compute=2;batch=1;step.cnn=40;step.mlp=missing"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if n := testing.AllocsPerRun(10, func() { _ = tc.in.String() }); n != 1 {
			t.Errorf("%q: %v allocations, want 1", tc.want, n)
		}
	}
}
