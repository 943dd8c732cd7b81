#!/usr/bin/env bash
# Measures what payload capture costs: the digits CNN served by inferd with
# capture off, at 10% and at 100% sampling into SQLite (--data-dir), loaded
# by inferd bench at 64 connections on the seed route with the 50 example
# digits. Rounds interleave the modes so that a noisy machine hurts them
# alike. Prints per mode and round the requests/s, p50, p99 and the server's
# CPU time per request (user+system from /proc, over the measured run),
# then the medians and their ratios to capture off. On a shared machine the
# CPU per request is the steady figure: a saturated server's throughput is
# its cores divided by it. With DRIFT=1 a fourth mode, "drift", serves a
# copy of the repository whose digits version has a profile (inferd
# profile on the example images), so that the drift watcher runs over the
# 100% capture: its p99 beside s100's is the "drift off the request path"
# check. With BEFORE=REV a mode "before" serves the 100% capture with the
# binary built from git revision REV, in the same rounds, so that a change
# is measured side by side with what it replaces.
#   [DRIFT=1] [BEFORE=REV] scripts/bench-capture.sh [ROUNDS] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
duration=${2:-10s}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-bench-capture.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/inferd" ./cmd/inferd
bin=$tmp/inferd
port=18093
modes="off s10 s100"
if [ "${DRIFT:-0}" = 1 ]; then
  modes="$modes drift"
  cp -r examples/models "$tmp/repo"
  "$tmp/inferd" profile digits --repository "$tmp/repo" --dataset examples/digits/images >/dev/null
fi
if [ -n "${BEFORE:-}" ]; then
  modes="$modes before"
  mkdir "$tmp/src"
  git archive "$BEFORE" | tar -x -C "$tmp/src"
  (cd "$tmp/src" && go build -o "$tmp/inferd-before" ./cmd/inferd)
fi
run() { # mode sample [repository]
  local args=()
  if [ "$2" != off ]; then
    rm -rf "$tmp/data"
    args=(--data-dir "$tmp/data" --capture-sample "$2")
  fi
  "$bin" serve --repository "${3:-examples/models}" --http-addr "127.0.0.1:$port" --grpc-addr "" \
    --access-log off --shutdown-delay 0 "${args[@]}" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  "$tmp/inferd" bench --url "http://127.0.0.1:$port" --model digits --concurrency 64 --duration 1s --warmup 0s \
    --input examples/digits/images/*.png >/dev/null
  local cpu0 cpu1
  cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  "$tmp/inferd" bench --url "http://127.0.0.1:$port" --model digits --concurrency 64 --duration "$duration" --warmup 0s \
    --input examples/digits/images/*.png --json >"$tmp/$1.json"
  cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  local captured=0
  [ "$2" != off ] && captured=$(python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = {r[0] for r in db.execute('select name from sqlite_master')}
q = 'select coalesce(sum(n), 0) from inferd_batches' if 'inferd_batches' in tables else 'select count(*) from inferd_records'
print(db.execute(q).fetchone()[0])" "$tmp/data/monitor.db")
  python3 - "$tmp/$1.json" "$1" "$captured" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["results"][0]
cpu_us = int(sys.argv[4]) / int(sys.argv[5]) * 1e6 / run["ok"]
print(f"{sys.argv[2]:>5} {run['throughput']:8.0f} req/s  p50 {run['latency']['p50_us']/1000:6.2f} ms  p99 {run['latency']['p99_us']/1000:7.2f} ms  cpu {cpu_us:6.1f} us/req  captured {sys.argv[3]}")
PY
}
for r in $(seq "$rounds"); do
  echo "round $r"
  run off off | tee -a "$tmp/off.txt"
  run s10 0.1 | tee -a "$tmp/s10.txt"
  run s100 1 | tee -a "$tmp/s100.txt"
  if [ "${DRIFT:-0}" = 1 ]; then run drift 1 "$tmp/repo" | tee -a "$tmp/drift.txt"; fi
  if [ -n "${BEFORE:-}" ]; then bin=$tmp/inferd-before; run before 1 | tee -a "$tmp/before.txt"; bin=$tmp/inferd; fi
done
python3 - "$tmp" $modes <<'PY'
import statistics, sys
rps, cpu = {}, {}
for m in sys.argv[2:]:
    lines = [l.split() for l in open(f"{sys.argv[1]}/{m}.txt")]
    rps[m] = statistics.median(float(l[1]) for l in lines)
    cpu[m] = statistics.median(float(l[l.index("cpu") + 1]) for l in lines)
print(f"median req/s: off {rps['off']:.0f}, 10% {rps['s10']:.0f} ({rps['s10']/rps['off']:.3f}), 100% {rps['s100']:.0f} ({rps['s100']/rps['off']:.3f})")
print(f"median server CPU per request: off {cpu['off']:.1f} us, 10% {cpu['s10']:.1f} us ({cpu['s10']/cpu['off']:.3f}), 100% {cpu['s100']:.1f} us ({cpu['s100']/cpu['off']:.3f})")
print(f"throughput at equal CPU, relative to off: 10% {cpu['off']/cpu['s10']:.3f}, 100% {cpu['off']/cpu['s100']:.3f}")
if "drift" in rps:
    p99 = {m: statistics.median(float(l[l.index("p99") + 1]) for l in (x.split() for x in open(f"{sys.argv[1]}/{m}.txt"))) for m in ("s100", "drift")}
    print(f"100% with the drift watcher: median req/s {rps['drift']:.0f} ({rps['drift']/rps['off']:.3f}), p99 {p99['drift']:.2f} ms vs {p99['s100']:.2f} ms without")
if "before" in rps:
    print(f"100% with the BEFORE binary: median req/s {rps['before']:.0f} ({rps['before']/rps['off']:.3f}), CPU per request {cpu['before']:.1f} us ({cpu['before']/cpu['off']:.3f}); at equal CPU {cpu['off']/cpu['before']:.3f}")
PY
