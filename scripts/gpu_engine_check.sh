#!/usr/bin/env bash
# The GPU engine's checks in one device call: the GPU tests, the ONNX conformance set on
# the GPU engine (FP32), and with --bench the model benchmark against torch eager.
#
# Here:   GPU_BUNDLE_DIR=.gpu scripts/gpu_bundle.sh --compress --with-conformance \
#           //kernels/cuda:all //engine:cuda_engine_gpu_test //plugins:cuda_plugins_gpu_test //tools:graft
# There:  device run, carry [".gpu"], command: bash scripts/gpu_engine_check.sh [--bench [ARGS...]]
#
# Writes under $OUT: gpu_tests.log, conformance_gpu.md (the table), conformance_gpu.txt,
# and with --bench gpu_bench.md / .json / .log. ARGS go to bench/gpu_vs_torch.py.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
G=${GPU_BUNDLE_DIR:-.gpu}
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"

bash scripts/gpu_run_tests.sh
tests_rc=$?
export LD_LIBRARY_PATH=$PWD/$G/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
GRAFT=$PWD/$G/bin/tools/graft

if [[ -d $G/onnx-testdata ]]; then
  timeout 400 "$GRAFT" conformance "$G/onnx-testdata" --backend cuda --markdown "$OUT/conformance_gpu.md" -q \
    > "$OUT/conformance_gpu.txt" 2>&1
  echo "conformance on the GPU engine (exit $?):"
  tail -3 "$OUT/conformance_gpu.txt"
fi

if [[ ${1:-} == --bench ]]; then
  shift
  PYTHONUNBUFFERED=1 python3 bench/gpu_vs_torch.py --graft "$GRAFT" --out "$OUT" "$@"
fi
exit $tests_rc
