#!/usr/bin/env bash
# Runs the ONNX conformance suite on the CPU engine and records the result:
# engine/conformance_passing.txt (what engine:conformance_test holds us to) and
# docs/conformance.md (the full table, with the reason for every case that does not pass,
# taken from engine/conformance_known_failures.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${GRAFT_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
known=engine/conformance_known_failures.txt
bazel build //:graft
table=$(mktemp)
trap 'rm -f "$table"' EXIT
bazel-bin/tools/graft conformance "$data" --markdown "$table" >/dev/null || true
summary=$(tail -n 1 "$table")

# Rows of the table: "| case | status | abs | rel | detail |".
case_of() { cut -d'|' -f2 | sed 's/^ *//; s/ *$//'; }
reason_for() { awk -F'\t' -v c="$1" '$1 == c { print $2 }' "$known"; }

{
  echo "# Cases of the ONNX conformance suite ($data) that pass on the CPU engine."
  echo "# Written by scripts/update_conformance.sh; engine:conformance_test fails if one stops passing."
  grep -E '^\| test[^|]* \| pass \|' "$table" | case_of | sort
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
  echo "## Cases that do not pass, and why"
  echo
  echo "| case | status | what happens | why |"
  echo "|---|---|---|---|"
  grep -E '^\| test' "$table" | grep -vE '^\| [^|]* \| pass \|' | while IFS= read -r row; do
    name=$(echo "$row" | case_of)
    status=$(echo "$row" | cut -d'|' -f3 | sed 's/^ *//; s/ *$//')
    detail=$(echo "$row" | cut -d'|' -f6 | sed 's/^ *//; s/ *$//')
    why=$(reason_for "$name")
    echo "| $name | $status | $detail | ${why:-(not yet explained)} |"
  done
  echo
  echo "## All cases (max abs and rel error over all outputs)"
  echo
  grep '^|' "$table"
} >docs/conformance.md
echo "$summary"
