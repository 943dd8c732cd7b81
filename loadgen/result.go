package loadgen

import (
	"encoding/json"
	"time"
)

// Latency summarizes a distribution of durations. Percentiles come from an
// HDR histogram with three significant digits at microsecond resolution;
// Max is exact.
type Latency struct {
	Count                          int64
	Mean, P50, P90, P99, P999, Max time.Duration
}

// latencyJSON is Latency on the wire, in microseconds.
type latencyJSON struct {
	Count  int64   `json:"count"`
	MeanUS float64 `json:"mean_us"`
	P50US  float64 `json:"p50_us"`
	P90US  float64 `json:"p90_us"`
	P99US  float64 `json:"p99_us"`
	P999US float64 `json:"p99_9_us"`
	MaxUS  float64 `json:"max_us"`
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func fromUS(v float64) time.Duration { return time.Duration(v * float64(time.Microsecond)) }

// MarshalJSON writes the durations in microseconds: {"count", "mean_us",
// "p50_us", "p90_us", "p99_us", "p99_9_us", "max_us"}.
func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(latencyJSON{l.Count, us(l.Mean), us(l.P50), us(l.P90), us(l.P99), us(l.P999), us(l.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Latency) UnmarshalJSON(b []byte) error {
	var j latencyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*l = Latency{j.Count, fromUS(j.MeanUS), fromUS(j.P50US), fromUS(j.P90US), fromUS(j.P99US), fromUS(j.P999US), fromUS(j.MaxUS)}
	return nil
}

// ServerTiming summarizes the server's own account of the successful
// requests that reported one (the Inferd-Timing header).
type ServerTiming struct {
	// Count is the number of answers that carried a timing.
	Count int64 `json:"count"`
	// Queue is the time spent waiting in the batcher, Compute the engine
	// time.
	Queue   Latency `json:"queue"`
	Compute Latency `json:"compute"`
	// MeanBatch is the mean number of rows of the engine calls that ran the
	// requests, as seen by the requests (0 when not reported).
	MeanBatch float64 `json:"mean_batch"`
}

// Result is the measurement of one run.
type Result struct {
	// Mode is "closed" or "open".
	Mode string `json:"mode"`
	// Concurrency is the number of workers (closed loop) or the most
	// requests in flight (open loop).
	Concurrency int `json:"concurrency"`
	// Rate is the scheduled rate of an open-loop run, requests per second.
	Rate float64 `json:"rate,omitempty"`
	// Elapsed is the time from the first request to the last answer.
	Elapsed time.Duration `json:"-"`
	// Sent counts the requests sent, OK those answered with success and
	// Failed the others (Sent = OK + Failed).
	Sent   int64 `json:"sent"`
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"`
	// Unsent counts the requests of an open-loop run that were due before
	// its end but could not be sent because Concurrency requests were
	// already in flight: the client, not the server, set the pace. Their
	// latency is not counted.
	Unsent int64 `json:"unsent,omitempty"`
	// Throughput is OK per second of Elapsed.
	Throughput float64 `json:"throughput"`
	// Latency is that of the successful requests: from the send (closed
	// loop) or from the scheduled send time (open loop) to the end of the
	// answer.
	Latency Latency `json:"latency"`
	// FailedLatency is the same for the failed requests (how fast a full
	// queue says no).
	FailedLatency Latency `json:"failed_latency"`
	// Errors counts failures by status (see Outcome.Status), and
	// ErrorMessages holds the first message of each.
	Errors        map[string]int64  `json:"errors,omitempty"`
	ErrorMessages map[string]string `json:"error_messages,omitempty"`
	// Server is the server's own timing; nil when no answer carried one.
	Server *ServerTiming `json:"server,omitempty"`
}

// resultJSON adds the elapsed time in seconds.
type resultJSON struct {
	*resultAlias
	ElapsedS float64 `json:"elapsed_s"`
}

type resultAlias Result

// MarshalJSON writes the result with "elapsed_s" in seconds and latencies
// in microseconds.
func (r *Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{(*resultAlias)(r), r.Elapsed.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Result) UnmarshalJSON(b []byte) error {
	j := resultJSON{resultAlias: (*resultAlias)(r)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	r.Elapsed = time.Duration(j.ElapsedS * float64(time.Second))
	return nil
}
