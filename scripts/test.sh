#!/usr/bin/env bash
# Quick start (2): install what is missing and run every test: the whole suite, then the
# loader's corrupt-input tests again under AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bazel test //...
bazel test --config=asan //surgeon:all //importer:all
