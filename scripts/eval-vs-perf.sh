#!/usr/bin/env bash
# Measures issue 15's throughput target: in-process `inferd eval` of the
# digits CNN against `inferd perf` on the same model, batch 32, one thread.
# The dataset is examples/evaluation/digits-test.csv repeated COPIES times
# (default 100: 36,000 rows), written to a temporary file. Each round runs,
# per binary, perf for 3 s and then eval, each with its JSON written to a
# file and read only after the run ends: a reader started beside a run of a
# fraction of a second (python3 on a pipe) takes a core from it and halves
# the figure on a 2-core machine. Prints per round and binary perf's median
# batch and samples/s, eval's median batch, loop and whole-run rates, and
# the ratios: median batch (32 / eval p50 over perf's samples/s), loop
# (loop_samples_per_second over perf's samples/s) and whole run, and the
# loop over perf's rate from its mean batch (perf's samples/s uses its median,
# while the loop is a mean over the run: this one compares like with like). With
# BEFORE=REV the binary built from git revision REV runs in the same rounds.
# With EVALS=N each round runs eval N times after perf and prints the
# medians (a 360-row run, COPIES=1, lasts a few milliseconds), and the time
# outside the model: the loop minus batches times eval's mean batch.
#   [BEFORE=REV] [COPIES=N] [EVALS=N] scripts/eval-vs-perf.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
copies=${COPIES:-100}
evals=${EVALS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/inferd" ./cmd/inferd
bins=("$work/inferd")
if [[ -n "${BEFORE:-}" ]]; then
	git worktree add -q --detach "$work/before" "$BEFORE"
	(cd "$work/before" && go build -o "$work/inferd-before" ./cmd/inferd)
	git worktree remove --force "$work/before"
	bins=("$work/inferd-before" "$work/inferd")
fi

data=$work/digits.csv
head -1 examples/evaluation/digits-test.csv >"$data"
for _ in $(seq "$copies"); do tail -n +2 examples/evaluation/digits-test.csv >>"$data"; done

for i in $(seq "$rounds"); do
	for bin in "${bins[@]}"; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		"$bin" perf examples/models/digits/1/model.onnx --batch 32 --threads 1 --duration 3s --json >"$work/perf.json"
		for j in $(seq "$evals"); do
			"$bin" eval digits --repository examples/models --data "$data" --threads 1 --json >"$work/eval$j.json"
		done
		python3 - "$i" "$load" "$(basename "$bin")" "$work" "$evals" <<'EOF'
import json, statistics, sys
i, load, name, work, n = sys.argv[1:]
p = json.load(open(f"{work}/perf.json"))["results"][0]
sps = p["samples_per_second"]
evs = [json.load(open(f"{work}/eval{j}.json")) for j in range(1, int(n) + 1)]
med = lambda f: statistics.median(f(e["latency"], e["rows"]) for e in evs)
p50 = med(lambda l, r: l["p50_ms"])
loop = med(lambda l, r: l["loop_samples_per_second"])
wall = med(lambda l, r: l["wall_samples_per_second"])
outside = med(lambda l, r: r / l["loop_samples_per_second"] * 1e3 - l["batches"] * l["mean_ms"])
print(f"round {i} load {load} {name:<14} perf p50 {p['median_ms']:.4f} ms {sps:7.0f}/s | "
      f"eval p50 {p50:.4f} ms loop {loop:7.0f}/s wall {wall:7.0f}/s outside {outside:.2f} ms | "
      f"median batch {32000 / p50 / sps:.3f} loop {loop / sps:.3f} wall {wall / sps:.3f} | "
      f"loop / perf's mean-based rate {loop * p['mean_ms'] / 32000:.3f}")
EOF
	done
done
