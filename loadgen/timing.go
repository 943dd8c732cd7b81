package loadgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimingHeader is the HTTP response header (and, in lower case, the gRPC
// response metadata key) in which inferd reports how a request was served:
// "queue=<µs>;compute=<µs>;batch=<rows>".
const TimingHeader = "Inferd-Timing"

// Timing is the server's account of one request.
type Timing struct {
	// Queue is the time the request waited in the batcher (0 without
	// batching).
	Queue time.Duration
	// Compute is the engine time of the call that ran it.
	Compute time.Duration
	// Batch is the number of rows of that call (0 when not reported).
	Batch int
}

// ParseTiming parses an Inferd-Timing value. queue and compute are
// required; batch and unknown keys are optional, so that the server can add
// fields.
func ParseTiming(s string) (Timing, error) {
	var (
		t                Timing
		hasQueue, hasCmp bool
	)
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Timing{}, fmt.Errorf("timing %q: %q is not key=value", s, part)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "queue", "compute", "batch":
		default:
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return Timing{}, fmt.Errorf("timing %q: %s=%q is not a non-negative integer", s, k, v)
		}
		switch k {
		case "queue":
			t.Queue, hasQueue = time.Duration(n)*time.Microsecond, true
		case "compute":
			t.Compute, hasCmp = time.Duration(n)*time.Microsecond, true
		case "batch":
			t.Batch = int(n)
		}
	}
	if !hasQueue || !hasCmp {
		return Timing{}, fmt.Errorf("timing %q: want queue=<µs>;compute=<µs>[;batch=<rows>]", s)
	}
	return t, nil
}
