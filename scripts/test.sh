#!/usr/bin/env bash
# Quick start (2): install what is missing and run every test: the whole suite, then the
# IR, loader, shape-inference, kernel, engine, sanitize and plugin tests (the whole conformance suite included) again under
# AddressSanitizer and UBSan. Ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
bazel test --test_summary=short //... 2>&1 | tee -a "$log" || status=1
# The GPU engine's tests only skip where there is no GPU (as in CI): not rebuilt under ASan.
bazel test --test_summary=short --config=asan --build_tests_only -- //surgeon:all //importer:all //ops:all //kernels/cpu:all //engine:all \
  -//engine:cuda_engine_gpu_test //folding:all //plugins:plugin_test //plugins:builtin_test //plugins:loader_test 2>&1 |
  tee -a "$log" || status=1

# One line per test target in Bazel's summary: "//pkg:name   PASSED in 1.2s".
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$log")
skipped=$(grep -cE '^//[^ ]+ +SKIPPED' "$log")
echo "test targets (plain and ASan/UBSan runs): $passed passed, $failed failed, $skipped skipped"
[[ $status -eq 0 && $failed -eq 0 ]]
