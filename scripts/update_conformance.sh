#!/usr/bin/env bash
# Runs the ONNX conformance suite on the CPU engine and records the result:
# engine/conformance_passing.txt (what engine:conformance_test holds us to) and
# docs/conformance.md (the full table with every failure and skip and its reason).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${GRAFT_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
bazel build //:graft
table=$(mktemp)
trap 'rm -f "$table"' EXIT
bazel-bin/tools/graft conformance "$data" --markdown "$table" >/dev/null || true
summary=$(tail -n 1 "$table")
{
  echo "# Cases of the ONNX conformance suite ($data) that pass on the CPU engine."
  echo "# Written by scripts/update_conformance.sh; engine:conformance_test fails if one stops passing."
  awk -F' \\| ' '$2 == "pass" { sub(/^\| /, "", $1); print $1 }' "$table" | sort
} >engine/conformance_passing.txt
{
  echo "# ONNX conformance on the CPU engine"
  echo
  echo "Suite: Debian's libonnx-testdata 1.12 ($data), 1072 cases. Tolerance: rtol 1e-3,"
  echo "atol 1e-7 (the ONNX backend defaults); integers, bools and strings exact."
  echo "Command: \`scripts/update_conformance.sh\` (runs \`graft conformance $data\`). Date: $(date -u +%F)."
  echo
  echo "**$summary**"
  echo
  echo "## Cases that do not pass"
  echo
  head -n 2 "$table"
  grep -vE '^\| [^|]+ \| pass \|' "$table" | sed -n '3,$p' | grep '^|' || true
  echo
  echo "## All cases"
  echo
  grep '^|' "$table"
} >docs/conformance.md
echo "$summary"
