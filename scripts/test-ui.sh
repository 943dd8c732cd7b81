#!/usr/bin/env bash
# Browser test of the web console (/ui/): serves a copy of the examples
# (digits with a second version and batching) with a freshly built inferd,
# sends some traffic, and drives Debian's chromium with playwright-core
# (console/uitest/test.mjs): the pages render, the charts have data, a label
# moved from the page is moved on the server, axe-core finds no serious or
# critical violation, the keyboard reaches the links, the overview updates
# itself. It also opens the digits evaluation report (inferd eval --report
# digits.html): its SVG plots render, axe passes. Screenshots go to
# .cache/artifacts/ui.
#
# Then the overview's render time is measured with 50 models and 200 versions
# (a benchmark: printed, not asserted).
#
# npm packages (playwright-core, axe-core: console/uitest/package-lock.json)
# are installed with `npm ci --ignore-scripts`; playwright-core downloads no
# browser. Needs: go, node and npm, /usr/bin/chromium.
#
#   scripts/test-ui.sh [--inferd BIN] [--no-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
inferd="" bench=1
while [ $# -gt 0 ]; do
  case $1 in
  --inferd) inferd=$2; shift 2 ;;
  --no-bench) bench=0; shift ;;
  *) echo "test-ui: unknown argument $1" >&2; exit 2 ;;
  esac
done
say() { echo "test-ui: $*" >&2; }
for tool in node npm /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { say "$tool is required (apt-get install nodejs npm chromium)"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-ui.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "$inferd" ]; then
  say "building inferd"
  CGO_ENABLED=0 go build -o "$tmp/inferd" ./cmd/inferd
  inferd=$tmp/inferd
fi
say "npm ci (console/uitest)"
(cd console/uitest && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

# serve REPO LOG: starts inferd on a free loopback port; sets url.
serve() {
  "$inferd" serve --repository "$1" --http-addr 127.0.0.1:0 --grpc-addr "" --access-log errors "${@:3}" >"$2" 2>&1 &
  pids+=($!)
  url=""
  for _ in $(seq 1 600); do
    addr=$(sed -n 's/.*msg="serving HTTP" addr=\([^ ]*\).*/\1/p' "$2" | head -1)
    if [ -n "$addr" ] && curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then url=http://$addr; return 0; fi
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$2" >&2; return 1; }
    sleep 0.1
  done
  say "the server did not become ready"; cat "$2" >&2; return 1
}

repo=$tmp/models
cp -r examples/models "$repo"
cp -r "$repo/digits/1" "$repo/digits/2"
printf 'batching: {max_batch_size: 8, max_queue_delay: 2ms}\nversion_policy: all\n' >>"$repo/digits/config.yaml"
serve "$repo" "$tmp/serve.log"
say "console at $url/ui/"
artifacts=$root/.cache/artifacts/ui
rm -rf "$artifacts"
(cd console/uitest && INFERD_URL=$url ARTIFACTS=$artifacts node test.mjs)
# The evaluation report (inferd eval --report, docs/evaluation.md) in the same
# harness: its plots render and axe passes.
"$inferd" eval digits --repository examples/models --data examples/evaluation/digits-test.csv --report "$tmp/digits.html" >/dev/null
(cd console/uitest && INFERD_URL=$url ARTIFACTS=$artifacts node test.mjs --report "$tmp/digits.html")
say "screenshots in $artifacts"

if [ "$bench" = 1 ]; then
  # 50 models of 4 versions each (the digits MLP, 70 KB).
  big=$tmp/big
  for m in $(seq -w 1 50); do
    for v in 1 2 3 4; do
      mkdir -p "$big/model-$m/$v"
      cp examples/models/digits-mlp/1/model.onnx "$big/model-$m/$v/"
    done
    printf 'version_policy: all\nversion_labels: {production: 3}\n' >"$big/model-$m/config.yaml"
  done
  serve "$big" "$tmp/big.log"
  (cd console/uitest && INFERD_URL=$url ARTIFACTS=$artifacts node test.mjs --bench)
fi
