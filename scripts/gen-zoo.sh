#!/usr/bin/env bash
# Generates the large real-model test cases of the native engine (ResNet-18
# and MobileNetV2 from torchvision) and the zoo of model shapes users bring
# (a DB-style text detector with ConvTranspose and Resize, a CRNN recogniser
# with exporter-style decomposed hardswish and an LSTM head, a transformer
# with decomposed GELU and LayerNorm, a voice-activity LSTM whose scalar
# sample-rate input drives an If, a YOLO-style detector with SiLU and
# NonMaxSuppression), random weights from a fixed seed, with
# PyTorch's outputs, into .cache/zoo, which git ignores. The engine's
# TestRealModels skips them, saying so, until this has run.
# Needs: apt-get install python3-torch python3-torchvision python3-onnx
set -euo pipefail
cd "$(dirname "$0")/.."
out=${INFERD_ZOO:-.cache/zoo}
models=(resnet18 mobilenet_v2 db_detector crnn transformer_gelu vad_lstm yolo_detector)
missing=()
for m in "${models[@]}"; do
  if [ ! -f "$out/$m/model.onnx" ] || [ "${1:-}" = "--force" ]; then
    missing+=("$m")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "gen-zoo: $out is up to date (--force regenerates)"
  exit 0
fi
/usr/bin/python3 examples/zoo/generate.py --out "$out" "${missing[@]}"
