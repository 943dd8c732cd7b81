#!/usr/bin/env bash
# Runs the official ONNX backend test suite (Debian package libonnx-testdata)
# on the native engine and fails when a case of the committed expected-pass
# list no longer passes. Then generates the large real models (ResNet-18,
# MobileNetV2) if torch is available and runs the real-model tests.
#
# Needs: apt-get install libonnx-testdata
# Optional (real models): apt-get install python3-torch python3-torchvision python3-onnx
#
# Usage: scripts/conformance.sh [--engine NAME] [--update]
#   --update rewrites the expected-pass list from this run (after new ops pass).
set -euo pipefail
cd "$(dirname "$0")/.."
engine=native
update=
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) engine=$2; shift 2 ;;
    --update) update=--update-expected; shift ;;
    *) echo "conformance.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
suite=/usr/share/libonnx-testdata/data
if [ ! -d "$suite/node" ]; then
  echo "conformance.sh: $suite is missing: apt-get install libonnx-testdata" >&2
  exit 1
fi
mkdir -p bin
go build -o bin/inferd ./cmd/inferd
bin/inferd conformance --engine "$engine" --suite "$suite" \
  --expected "conformance/testdata/$engine.pass" $update

if /usr/bin/python3 -c 'import torch, torchvision, onnx' 2>/dev/null; then
  scripts/gen-zoo.sh
  go test -count=1 -run 'TestRealModels|TestSklearnModels' -v ./engine/native/ | grep -E '^(=== RUN|--- |    |ok|FAIL|PASS)'
else
  echo "conformance.sh: python3-torch/torchvision missing: the ResNet-18 and MobileNetV2 tests are skipped"
fi
