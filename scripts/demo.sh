#!/usr/bin/env bash
# Quick start (1): install what is missing, build graft, and run its main job on a bundled
# real model (PaddleOCR's text-direction classifier): inspect it, move its weights to an
# external data file and back, and show the result is the same model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bazel build //:graft
graft=bazel-bin/tools/graft
model=testdata/real/ch_ppocr_mobile_v2.0_cls_infer.onnx
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$graft" inspect "$model"
"$graft" convert "$model" -o "$out/external.onnx" --external-data external.weights
"$graft" convert "$out/external.onnx" -o "$out/roundtrip.onnx" --embed-weights
if cmp -s "$model" "$out/roundtrip.onnx"; then
  echo "round trip: $model -> external weights -> embedded is byte-identical to the original"
else
  echo "round trip: the re-embedded model differs from the original" >&2
  exit 1
fi
