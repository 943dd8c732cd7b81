#!/usr/bin/env bash
# export-check.sh runs the export guides of docs/export.md end to end, as
# scripts/test.sh does in its setup:
#   1. each exporter of examples/export (PyTorch, scikit-learn) writes its
#      model.onnx into a temporary directory;
#   2. the models are laid out as a model repository with the committed
#      config.yaml files (examples/export/*/config.yaml);
#   3. inferd serves that repository on a free loopback port (127.0.0.1:0);
#   4. curl sends each exporter's request.json to the seed JSON route, and the
#      answer must match the framework's own outputs (expected.json) within
#      1e-4; the PyTorch model is also sent a PNG image (its config.yaml
#      preprocessing) and must return three predictions.
# Every wait is bounded; the server is stopped at the end, pass or fail.
#
# Needs /usr/bin/python3 with python3-torch, python3-onnx and python3-sklearn
# (Debian 12), and curl.
#
# Usage: scripts/export-check.sh [--inferd BIN]   (default: builds one)
set -euo pipefail
cd "$(dirname "$0")/.."

inferd=
case ${1:-} in
--inferd) inferd=${2:?--inferd wants a binary} ;;
"") ;;
*) echo "usage: $0 [--inferd BIN]" >&2; exit 2 ;;
esac

py=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/inferd-export.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

log() { echo "export-check: $*" >&2; }
fail() { log "FAIL: $*"; [ ! -f "$tmp/server.log" ] || sed 's/^/  server: /' "$tmp/server.log" >&2; exit 1; }

if [ -z "$inferd" ]; then
	log "building inferd"
	CGO_ENABLED=0 go build -o "$tmp/inferd" ./cmd/inferd
	inferd=$tmp/inferd
fi

# 1 and 2: export, then lay out the repository as docs/export.md does.
repo=$tmp/models
for name in pytorch sklearn; do
	start=$SECONDS
	"$py" -B "examples/export/${name}_export.py" "$tmp/$name"
	mkdir -p "$repo/$name/1"
	cp "$tmp/$name/model.onnx" "$repo/$name/1/"
	cp "examples/export/$name/config.yaml" "$repo/$name/"
	[ ! -f "$tmp/$name/labels.txt" ] || cp "$tmp/$name/labels.txt" "$repo/$name/"
	log "$name exported in $((SECONDS - start))s"
done

# 3: serve on a port the kernel picks; inferd logs the address it bound.
"$inferd" serve --repository "$repo" --http-addr 127.0.0.1:0 --grpc-addr "" >"$tmp/server.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 300); do # up to 30 s
	addr=$(sed -n 's/.*msg="serving HTTP" addr=\([0-9.:]*\).*/\1/p' "$tmp/server.log")
	if [ -n "$addr" ] && curl -fsS -o /dev/null "http://$addr/readyz" 2>/dev/null; then
		url=http://$addr
		break
	fi
	kill -0 "$pid" 2>/dev/null || fail "inferd exited"
	sleep 0.1
done
[ -n "$url" ] || fail "inferd was not ready within 30 s"
log "serving on $url"

# 4: the served outputs against the framework's.
for name in pytorch sklearn; do
	curl -fsS --max-time 30 -H 'Content-Type: application/json' \
		--data-binary "@$tmp/$name/request.json" "$url/models/$name" >"$tmp/$name/answer.json" ||
		fail "$name: the request failed"
	"$py" - "$tmp/$name/expected.json" "$tmp/$name/answer.json" "$name" <<'EOF' || fail "$name: the served outputs differ"
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))["outputs"]
worst = 0.0
for key, rows in want.items():
    if key == "label":
        if got[key] != rows:
            sys.exit("label: got %s, want %s" % (got[key], rows))
        continue
    g = got[key]
    if len(g) != len(rows):
        sys.exit("%s: %d rows, want %d" % (key, len(g), len(rows)))
    for gr, wr in zip(g, rows):
        if len(gr) != len(wr):
            sys.exit("%s: row of %d, want %d" % (key, len(gr), len(wr)))
        for a, b in zip(gr, wr):
            worst = max(worst, abs(a - b))
if worst > 1e-4:
    sys.exit("largest difference %.3g > 1e-4" % worst)
print("export-check: %s: served outputs match (largest difference %.2g)" % (sys.argv[3], worst))
EOF
done

curl -fsS --max-time 30 -H 'Content-Type: image/png' --data-binary @examples/digits/images/7_0.png \
	"$url/models/pytorch" >"$tmp/image.json" || fail "pytorch: the image request failed"
"$py" -c 'import json, sys; p = json.load(open(sys.argv[1]))["predictions"]; assert len(p) == 3, p' "$tmp/image.json" ||
	fail "pytorch: the image answer has not three predictions: $(cat "$tmp/image.json")"
log "pytorch: an image request gives $(cat "$tmp/image.json")"
log "ok"
