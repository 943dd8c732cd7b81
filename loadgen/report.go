package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is a set of runs against one target, as `inferd bench` prints it
// (and writes it with --json).
type Report struct {
	URL      string   `json:"url"`
	Protocol Protocol `json:"protocol"`
	Model    string   `json:"model"`
	Version  string   `json:"version,omitempty"`
	Inputs   []string `json:"inputs"`
	// DurationS and Requests are the bounds of each run, WarmupS the
	// warm-up before each.
	DurationS float64   `json:"duration_s,omitempty"`
	Requests  int       `json:"requests,omitempty"`
	WarmupS   float64   `json:"warmup_s"`
	Results   []*Result `json:"results"`
}

// FormatDuration prints a latency compactly: 87µs, 1.25ms, 31.2ms, 1.50s.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// WriteTable prints the report as a table, one line per run, followed by
// the failures of each run and warnings.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	target := r.Model
	if r.Version != "" {
		target += "/" + r.Version
	}
	bound := []string{}
	if r.DurationS > 0 {
		bound = append(bound, FormatDuration(time.Duration(r.DurationS*float64(time.Second))))
	}
	if r.Requests > 0 {
		bound = append(bound, fmt.Sprintf("%d requests", r.Requests))
	}
	fmt.Fprintf(&b, "%s %s %s, %d input(s), %s per run (warm-up %s)\n", r.Protocol, r.URL, target, len(r.Inputs),
		strings.Join(bound, " or "), FormatDuration(time.Duration(r.WarmupS*float64(time.Second))))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	open := slices.ContainsFunc(r.Results, func(x *Result) bool { return x.Mode == "open" })
	head := "CONC\t"
	if open {
		head += "RATE\t"
	}
	fmt.Fprintln(tw, head+"SENT\tOK\tFAILED\tREQ/S\tP50\tP90\tP99\tP99.9\tMAX\tQUEUE P50/P99\tCOMPUTE P50/P99\tBATCH\t")
	for _, x := range r.Results {
		line := fmt.Sprintf("%d\t", x.Concurrency)
		if open {
			line += fmt.Sprintf("%.0f/s\t", x.Rate)
		}
		l := x.Latency
		line += fmt.Sprintf("%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t", x.Sent, x.OK, x.Failed, x.Throughput,
			dur(l.Count, l.P50), dur(l.Count, l.P90), dur(l.Count, l.P99), dur(l.Count, l.P999), dur(l.Count, l.Max))
		if s := x.Server; s != nil {
			batch := "n/a"
			if s.MeanBatch > 0 {
				batch = fmt.Sprintf("%.1f", s.MeanBatch)
			}
			line += fmt.Sprintf("%s/%s\t%s/%s\t%s\t", FormatDuration(s.Queue.P50), FormatDuration(s.Queue.P99),
				FormatDuration(s.Compute.P50), FormatDuration(s.Compute.P99), batch)
		} else {
			line += "n/a\tn/a\tn/a\t"
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range r.Results {
		if len(x.Errors) > 0 {
			fmt.Fprintf(&b, "failures at concurrency %d: %s (failures took p50 %s, p99 %s)\n", x.Concurrency,
				describeErrors(x), FormatDuration(x.FailedLatency.P50), FormatDuration(x.FailedLatency.P99))
		}
		if x.Unsent > 0 {
			fmt.Fprintf(&b, "warning: at concurrency %d, %d requests due were never sent: all %d workers were busy; raise --concurrency\n",
				x.Concurrency, x.Unsent, x.Concurrency)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dur prints a latency, or "-" when nothing was measured.
func dur(n int64, d time.Duration) string {
	if n == 0 {
		return "-"
	}
	return FormatDuration(d)
}

// describeErrors lists failures by status, most frequent first, with the
// first message of each.
func describeErrors(x *Result) string {
	keys := slices.SortedFunc(maps.Keys(x.Errors), func(a, b string) int {
		if d := x.Errors[b] - x.Errors[a]; d != 0 {
			return int(min(max(d, -1), 1))
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, x.Errors[k])
		if m := x.ErrorMessages[k]; m != "" {
			if len(m) > 120 {
				m = m[:120] + "…"
			}
			parts[i] += fmt.Sprintf(" (%q)", m)
		}
	}
	return strings.Join(parts, ", ")
}
