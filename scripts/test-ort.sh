#!/usr/bin/env bash
# Runs the tests of the ONNX Runtime engine (build tag ort), which the default
# `go test ./...` skips: fetches ONNX Runtime 1.30 with scripts/onnxruntime.sh
# (cached outside the repository), then
#   - vets and builds everything with -tags ort;
#   - runs the ort-tagged tests of engine/ort and perf: the shared engine
#     conformance suite, every datatype, string tensors, ONNX-ML (ZipMap)
#     and sequence values, the ONNX backend test suite on ONNX Runtime
#     against engine/ort/testdata/conformance.pass and in agreement with the
#     native engine, and output agreement native vs ONNX Runtime on the
#     example models;
#   - runs the engine's conformance and concurrency tests under -race, and
#     its benchmarks once;
#   - runs `inferd perf --engines native,ort` on the example models, which
#     exits 1 if their outputs disagree.
# Needs Go, gcc (cgo) and npm (only for the first download).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v go >/dev/null || { echo "test-ort: Go is required" >&2; exit 1; }
command -v gcc >/dev/null || { echo "test-ort: gcc is required (the ort engine uses cgo)" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }

step "ONNX Runtime library"
INFERD_ORT_LIBRARY=$(scripts/onnxruntime.sh)
export INFERD_ORT_LIBRARY
echo "$INFERD_ORT_LIBRARY"

step "go vet -tags ort ./..."
go vet -tags ort ./...

step "go build -tags ort ./cmd/inferd"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -tags ort -o "$bin/inferd" ./cmd/inferd
"$bin/inferd" version

step "go test -tags ort ./engine/ort/... ./perf/... ./internal/cli/..."
go test -count=1 -tags ort ./engine/ort/... ./perf/... ./internal/cli/...

step "go test -race -tags ort ./engine/ort (conformance, concurrency, lifecycle)"
go test -race -count=1 -tags ort -run 'TestConformance|TestLifecycle|TestZipMap|TestDTypes' ./engine/ort/

step "benchmarks, once each"
go test -count=1 -tags ort -run '^$' -bench . -benchtime=1x ./engine/ort/

for m in digits digits-mlp; do
  step "inferd perf --engines native,ort: $m"
  "$bin/inferd" perf "examples/models/$m/1/model.onnx" --engines native,ort --batch 1,8 --threads 1,2 --iterations 20
done
