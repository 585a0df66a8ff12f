#!/usr/bin/env bash
# Installs the peer tools that graft is compared with in bench/ (not needed by the tests):
# onnxruntime (CPU), onnx-simplifier, polygraphy and onnx-graphsurgeon from PyPI.
set -euo pipefail
pip install --break-system-packages onnx numpy onnxruntime onnxsim polygraphy onnx-graphsurgeon
