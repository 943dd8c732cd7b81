#!/usr/bin/env bash
# Builds inferd (a static, cgo-free binary) and serves the bundled example
# models on 127.0.0.1:8080 (INFERD_HTTP_ADDR to change it). Needs only Go;
# extra flags go to `inferd serve`.
#
# It says what it is doing while it works: the first build compiles about 450
# packages (some 145 s of CPU time: over a minute on 2 idle cores, with the
# modules already downloaded), later builds take a few seconds from Go's build
# cache; then it prints the URL once the server is ready. Stop the server with Ctrl-C: it turns not-ready, finishes
# the requests in flight and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "serve-examples: Go is required (https://go.dev/dl/)" >&2; exit 1; }

say() { echo "serve-examples: $*" >&2; }
begin=$SECONDS
addr=${INFERD_HTTP_ADDR:-127.0.0.1:8080}
case $addr in
:*) url=http://127.0.0.1$addr ;;
0.0.0.0:*) url=http://127.0.0.1:${addr#0.0.0.0:} ;;
*) url=http://$addr ;;
esac

say "building bin/inferd with $(go env GOVERSION) (a first build compiles every dependency: a minute or more; later ones take seconds)..."
mkdir -p bin
# A ticker, so that a long first build is not silent.
( while sleep 10; do say "still building ($((SECONDS - begin))s)..."; done ) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT
CGO_ENABLED=0 go build -trimpath -o bin/inferd ./cmd/inferd
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
trap - EXIT
say "built in $((SECONDS - begin))s"

say "starting the server on $addr with the models of examples/models..."
# The server replaces this shell (exec, so that Ctrl-C and SIGTERM reach it
# directly); a watcher in the background announces when it is ready. It gives
# up when the server exits or after 60 s.
if command -v curl >/dev/null; then
	server=$$
	(
		for _ in $(seq 1 600); do
			kill -0 "$server" 2>/dev/null || exit 0
			if curl -fsS -o /dev/null --max-time 1 "$url/readyz" 2>/dev/null; then
				say "serving on $url ($((SECONDS - begin))s after the start); try: curl $url/models"
				exit 0
			fi
			sleep 0.1
		done
		say "the server is not ready after 60 s; see its log above"
	) &
fi
exec bin/inferd serve --repository examples/models --http-addr "$addr" "$@"
