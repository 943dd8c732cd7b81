#!/usr/bin/env bash
# Sets up and runs the whole test suite: formatting, vet, module tidiness,
# generated code freshness, unit and integration tests (with the race
# detector where there is concurrency), and every benchmark once so that
# none rots.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "test: Go is required" >&2; exit 1; }
. scripts/lib/apt.sh

step() { printf '\n== %s\n' "$*"; }

step "system packages"
# gcc: the race detector; protobuf-compiler: the generated-code check;
# libonnx-testdata: the ONNX backend conformance suite; python3-torch,
# -torchvision, -onnx: ResNet-18 and MobileNetV2 with PyTorch's reference
# outputs for the real-model tests (generated into .cache, not committed).
apt_install gcc protobuf-compiler libonnx-testdata python3-torch python3-torchvision python3-onnx

step "go mod download"
go mod download

step "gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go mod tidy"
go mod tidy -diff

step "go vet"
go vet ./...

step "generated code is up to date"
scripts/gen-api-proto.sh --check

step "go build (CGO_ENABLED=0: the default build is one static binary)"
CGO_ENABLED=0 go build -o /dev/null ./cmd/inferd

# Packages with concurrency run under the race detector (needs cgo and gcc).
race_pkgs=(./app/... ./batch/... ./repository/... ./serving/... ./server/... ./api/... ./loadgen/... ./bench/... ./engine/native/... ./internal/cli/... ./cmd/...)
step "go test -race ${race_pkgs[*]}"
go test -race -count=1 "${race_pkgs[@]}"

step "go test ./..."
go test -count=1 ./...

step "go test -tags purego ./engine/native/...: the portable kernels without SIMD"
go test -count=1 -tags purego ./engine/native/...

step "ONNX conformance suite (regressions against conformance/testdata/native.pass) and real models"
bash scripts/conformance.sh

step "ONNX Runtime engine (-tags ort): its tests, conformance beside native, output agreement"
command -v npm >/dev/null || apt_install npm
bash scripts/test-ort.sh

step "deployment: helm lint --strict, manifests, chart, KServe and compose validated strictly"
bash scripts/deploy-lint.sh

step "container image: reproducible daemonless build, then a real podman run"
bash scripts/image-test.sh

step "bench/run.sh --quick --no-flask: inferd bench against inferd and the decode-only handler"
bash bench/run.sh --quick --no-flask

step "benchmarks, once each"
go test -run '^$' -bench . -benchtime=1x ./...
