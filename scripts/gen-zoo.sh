#!/usr/bin/env bash
# Generates the large real-model test cases of the native engine (ResNet-18
# and MobileNetV2 from torchvision, random weights from a fixed seed, with
# PyTorch's outputs) into .cache/zoo, which git ignores. The engine's
# TestRealModels skips them, saying so, until this has run.
# Needs: apt-get install python3-torch python3-torchvision python3-onnx
set -euo pipefail
cd "$(dirname "$0")/.."
out=${INFERD_ZOO:-.cache/zoo}
if [ -f "$out/resnet18/model.onnx" ] && [ -f "$out/mobilenet_v2/model.onnx" ] && [ "${1:-}" != "--force" ]; then
  echo "gen-zoo: $out is up to date (--force regenerates)"
  exit 0
fi
/usr/bin/python3 examples/zoo/generate.py --out "$out" resnet18 mobilenet_v2
