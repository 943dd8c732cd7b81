#!/usr/bin/env bash
# Serving throughput with the web console off, on but not looked at, watched
# by a bare event-stream client (curl on /ui/api/events, plus the model page's
# JSON every 2 s, as an open model page fetches it), and open in chromium (the
# overview and a model page, live). `inferd bench` on digits, closed loop,
# runs interleaved; prints each run and the medians with their ratio to "off".
# The browser runs on the same machine, so its own CPU is counted too.
#
#   scripts/bench-console.sh [--runs 3] [--duration 5s] [--concurrency 8]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 duration=5s conc=8
while [ $# -gt 0 ]; do
  case $1 in
  --runs) runs=$2; shift 2 ;;
  --duration) duration=$2; shift 2 ;;
  --concurrency) conc=$2; shift 2 ;;
  *) echo "bench-console: unknown argument $1" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-bench-ui.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -o "$tmp/inferd" ./cmd/inferd
(cd console/uitest && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
cp -r examples/models "$tmp/models"

start() { # start MODE: the server with --ui MODE; sets url and server
  "$tmp/inferd" serve --repository "$tmp/models" --http-addr 127.0.0.1:0 --grpc-addr "" --access-log off --ui "$1" >"$tmp/serve.log" 2>&1 &
  server=$!
  pids+=("$server")
  for _ in $(seq 1 300); do
    addr=$(sed -n 's/.*msg="serving HTTP" addr=\([^ ]*\).*/\1/p' "$tmp/serve.log" | head -1)
    if [ -n "$addr" ] && curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then url=http://$addr; return; fi
    sleep 0.1
  done
  echo "the server did not start" >&2; cat "$tmp/serve.log" >&2; exit 1
}
bench() { # bench LABEL: one run; appends the throughput to $tmp/LABEL
  "$tmp/inferd" bench --url "$url" --model digits --concurrency "$conc" --duration "$duration" --warmup 1s \
    --input examples/digits/images/7_0.png --json 2>/dev/null |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["results"][0]["throughput"]))' | tee -a "$tmp/$1"
}
watchers() { # a bare client: the event stream, and the model page every 2 s
  curl -sN "$url/ui/api/events" >/dev/null &
  w1=$!
  (while curl -fsS "$url/ui/api/models/digits" >/dev/null; do sleep 2; done) &
  w2=$!
  pids+=("$w1" "$w2")
}

for i in $(seq 1 "$runs"); do
  start off
  printf 'run %d off:          ' "$i"; bench off
  kill "$server"; wait "$server" 2>/dev/null || true
  start auto
  printf 'run %d on, unwatched: ' "$i"; bench idle
  watchers
  printf 'run %d event client:  ' "$i"; bench sse
  kill "$w1" "$w2"; wait "$w1" "$w2" 2>/dev/null || true
  (cd console/uitest && INFERD_URL=$url exec node test.mjs --hold 600 >"$tmp/hold.log" 2>&1) &
  holder=$!
  pids+=("$holder")
  for _ in $(seq 1 300); do grep -q "console open" "$tmp/hold.log" 2>/dev/null && break; sleep 0.1; done
  printf 'run %d chromium open: ' "$i"; bench browser
  kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
  kill "$server"; wait "$server" 2>/dev/null || true
done
python3 - "$tmp" <<'PY'
import statistics, sys
d = sys.argv[1]
med = {k: statistics.median(float(x) for x in open(f"{d}/{k}").read().split()) for k in ["off", "idle", "sse", "browser"]}
for k, name in [("off", "console off"), ("idle", "on, unwatched"), ("sse", "event client"), ("browser", "chromium open")]:
    print(f"{name:15s} median {med[k]:8.0f} req/s  ratio to off {med[k] / med['off']:.3f}")
PY
