package gctune

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

const (
	// DefaultHeadroom is the heap growth allowed between collections when
	// the live heap is smaller than it.
	DefaultHeadroom = 64 << 20
	// maxPercent bounds GOGC when the live heap is tiny (a fresh process).
	maxPercent = 5000
	// interval is how often the live heap is read.
	interval = 500 * time.Millisecond
	// liveMetric is the heap the last collection marked live.
	liveMetric = "/gc/heap/live:bytes"
)

// Percent is the GOGC value that lets a heap with live bytes live grow by
// max(live, headroom) before the next collection: 100 once live reaches
// headroom, more below it, at most 5000.
func Percent(live, headroom uint64) int {
	if headroom == 0 || live >= headroom {
		return 100
	}
	if live == 0 {
		return maxPercent
	}
	return int(min(headroom*100/live, maxPercent))
}

// Tune adjusts GOGC every half second from the live heap until ctx is
// done, then restores the previous setting. With headroom 0, or with GOGC
// set in the environment, it returns at once and changes nothing. It
// blocks; run it on its own goroutine.
func Tune(ctx context.Context, headroom uint64, log *slog.Logger) {
	if headroom == 0 {
		return
	}
	if v, ok := os.LookupEnv("GOGC"); ok {
		log.Debug("GOGC is set; not tuning the garbage collector", "GOGC", v)
		return
	}
	sample := []metrics.Sample{{Name: liveMetric}}
	current := debug.SetGCPercent(100)
	previous := current
	defer debug.SetGCPercent(previous)
	apply := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		p := Percent(sample[0].Value.Uint64(), headroom)
		// Small drifts of the live heap change nothing.
		if p != current && (p > current*11/10 || p < current*9/10 || p == 100) {
			debug.SetGCPercent(p)
			current = p
		}
	}
	apply()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			apply()
		}
	}
}
