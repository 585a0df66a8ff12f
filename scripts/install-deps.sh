#!/usr/bin/env bash
# Installs what graft needs to build and test on Debian 12, and nothing that is there
# already. Run as root. CUDA is optional: with /usr/local/cuda (or $CUDA_PATH) present,
# the GPU code builds too; without it graft builds CPU-only.
set -euo pipefail

PACKAGES=(
  g++ python3
  bazel-bootstrap bazel-rules-java bazel-platforms
  libprotobuf-dev protobuf-compiler
  libonnx-dev libonnx-testdata
  libeigen3-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev zlib1g-dev
  chromium  # headless, for the zoo report's HTML test (about 120 MB to download)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if command -v nvcc >/dev/null || [ -x "${CUDA_PATH:-/usr/local/cuda}/bin/nvcc" ]; then
  echo "install-deps: CUDA toolkit found; GPU code will be built"
else
  echo "install-deps: no CUDA toolkit; building CPU-only (GPU tests report themselves skipped)"
fi
