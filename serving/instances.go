package serving

import (
	"cmp"
	"log/slog"
	"runtime"

	"github.com/inferd/inferd/model"
)

// A batching version's instances run calls at once, each with its own
// intra-op threads. Calls beyond the cores gain nothing: two calls on two
// cores each run on one core, no sooner than one after the other with
// both, and the second instance takes away the queue in which a batch
// would have formed (bench/run.sh's transformer with `instances: 2` and
// two threads at 8 connections: mean batch 1.4 against 3.0 with one
// instance, and 0.90× of no batching against 1.15×). So a batching
// version opens at most cores ÷ threads instances (at least one): as many
// calls as the cores can run at once with every call's threads. Without
// batching, instances only take turns (runner.Pool) and the requests'
// calls run at once whatever their number, so the configured number is
// opened.

// instanceCount returns how many engine sessions to open for cfg, and
// logs it when that is fewer than cfg asks for.
func (m *Manager) instanceCount(cfg *model.Config, log *slog.Logger) int {
	want := max(cfg.Instances, 1)
	if cfg.Batching == nil {
		return want
	}
	threads, cores := cmp.Or(cfg.Threads, m.threads), runtime.GOMAXPROCS(0)
	n := instanceBudget(want, threads, cores)
	if n < want {
		log.Info("batching: fewer instances than configured, so that the calls running at once fit the cores",
			"instances", n, "configured", want, "intra_op_threads", threads, "cores", cores)
	}
	return n
}

// instanceBudget returns how many of want instances of threads intra-op
// threads each (0: the engine's default, every core) run at once on cores
// cores without exceeding them; at least one.
func instanceBudget(want, threads, cores int) int {
	if threads <= 0 || threads > cores {
		threads = cores
	}
	return max(1, min(want, cores/max(threads, 1)))
}
