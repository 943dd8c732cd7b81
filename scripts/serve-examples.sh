#!/usr/bin/env bash
# Builds inferd (a static, cgo-free binary) and serves the bundled example
# models on 127.0.0.1:8080. Needs only Go; extra flags go to `inferd serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "serve-examples: Go is required (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p bin
CGO_ENABLED=0 go build -trimpath -o bin/inferd ./cmd/inferd
exec bin/inferd serve --repository examples/models --http-addr "${INFERD_HTTP_ADDR:-127.0.0.1:8080}" "$@"
