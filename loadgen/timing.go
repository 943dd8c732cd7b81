package loadgen

import datarunner "github.com/inferd/inferd/serving/runner"

// TimingHeader is the HTTP response header (and, in lower case, the gRPC
// response metadata key) in which inferd reports how a request was served:
// "queue=<µs>;compute=<µs>;batch=<rows>".
const TimingHeader = "Inferd-Timing"

// Timing is the server's account of one request (runner.Timing).
type Timing = datarunner.Timing

// ParseTiming parses an Inferd-Timing value (runner.ParseTiming).
func ParseTiming(s string) (Timing, error) { return datarunner.ParseTiming(s) }
