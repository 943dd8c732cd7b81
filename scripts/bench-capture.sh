#!/usr/bin/env bash
# Measures what payload capture costs: the digits CNN served by inferd with
# capture off, at 10% and at 100% sampling into SQLite (--data-dir), loaded
# by inferd bench at 64 connections on the seed route with the 50 example
# digits. Rounds interleave the modes so that a noisy machine hurts them
# alike. Prints requests/s and p99 per mode and round, then the ratios of
# the medians.
#   scripts/bench-capture.sh [ROUNDS] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
duration=${2:-10s}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-bench-capture.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/inferd" ./cmd/inferd
port=18093
run() { # mode sample
  local args=()
  if [ "$2" != off ]; then
    rm -rf "$tmp/data"
    args=(--data-dir "$tmp/data" --capture-sample "$2")
  fi
  "$tmp/inferd" serve --repository examples/models --http-addr "127.0.0.1:$port" --grpc-addr "" \
    --access-log off --shutdown-delay 0 "${args[@]}" >"$tmp/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  "$tmp/inferd" bench --url "http://127.0.0.1:$port" --model digits --concurrency 64 --duration "$duration" \
    --input examples/digits/images/*.png --json >"$tmp/$1.json"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  local captured=0
  [ "$2" != off ] && captured=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from inferd_records').fetchone()[0])" "$tmp/data/monitor.db")
  python3 - "$tmp/$1.json" "$1" "$captured" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:>5} {run['throughput']:10.0f} req/s  p50 {run['latency']['p50_us']/1000:6.2f} ms  p99 {run['latency']['p99_us']/1000:7.2f} ms  captured {sys.argv[3]}")
PY
}
for r in $(seq "$rounds"); do
  echo "round $r"
  run off off | tee -a "$tmp/off.txt"
  run s10 0.1 | tee -a "$tmp/s10.txt"
  run s100 1 | tee -a "$tmp/s100.txt"
done
python3 - "$tmp" <<'PY'
import statistics, sys
med = {}
for m in ("off", "s10", "s100"):
    med[m] = statistics.median(float(l.split()[1]) for l in open(f"{sys.argv[1]}/{m}.txt"))
print(f"median req/s: off {med['off']:.0f}, 10% {med['s10']:.0f} ({med['s10']/med['off']:.3f}), 100% {med['s100']:.0f} ({med['s100']/med['off']:.3f})")
PY
