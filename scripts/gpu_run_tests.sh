#!/usr/bin/env bash
# Runs the test binaries bundled by scripts/gpu_bundle.sh. Meant for the lent GPU machine:
#
#   device run, carry [".gpu"], command: bash scripts/gpu_run_tests.sh [FILTER...]
#
# FILTER: run only the tests whose path contains one of these strings.
# Each test runs from the repo root (repo-relative test data such as testdata/... resolves
# there) with no Bazel runfiles variables set, LD_LIBRARY_PATH=.gpu/lib and a timeout of
# GPU_TEST_TIMEOUT seconds (default 300). Everything goes to stdout and to the one log
# $OUT/gpu_tests.log (only 8 files come back from the device); the table comes last:
# test, PASS/FAIL/SKIPPED, seconds, then `N passed, N failed, N skipped`.
# Exit status: 0 when nothing failed, 1 otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD
OUT=${OUT:-/tmp/gpu_out}
mkdir -p "$OUT"
LOG=$OUT/gpu_tests.log
: > "$LOG"
TIMEOUT=${GPU_TEST_TIMEOUT:-300}
G=${GPU_BUNDLE_DIR:-.gpu}   # the bundle folder (scripts/gpu_bundle.sh)

say() { echo "$@" | tee -a "$LOG"; }

if [[ ! -d $G/bin ]]; then
  say "gpu_run_tests: no $G/bin here: run scripts/gpu_bundle.sh first and pass carry [\"$G\"]"
  exit 1
fi

# A bundle made with --compress: unpack it in place first.
find "$G/bin" "$G/lib" -name '*.xz' -print0 2>/dev/null | xargs -0 -r xz -d -f -T0
chmod -R u+x "$G/bin" 2>/dev/null
if [[ -f $G/onnx-testdata.tar.xz && ! -d $G/onnx-testdata ]]; then
  mkdir -p "$G/onnx-testdata.tmp" && tar -C "$G/onnx-testdata.tmp" -xJf "$G/onnx-testdata.tar.xz" &&
    mv "$G/onnx-testdata.tmp/data" "$G/onnx-testdata" && rmdir "$G/onnx-testdata.tmp"
fi

export LD_LIBRARY_PATH=$ROOT/$G/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# Not under Bazel: no runfiles tree. Tests fall back to repo-relative paths from the cwd.
unset TEST_SRCDIR TEST_WORKSPACE RUNFILES_DIR RUNFILES_MANIFEST_FILE JAVA_RUNFILES \
      TEST_UNDECLARED_OUTPUTS_DIR XML_OUTPUT_FILE GTEST_OUTPUT
export TEST_TMPDIR
TEST_TMPDIR=$(mktemp -d /tmp/graft_test_tmp.XXXXXX)
export GTEST_COLOR=no

# Conformance data bundled with --with-conformance: expose it where the tests look for it.
if [[ -d $G/onnx-testdata ]]; then
  export GRAFT_ONNX_TESTDATA=$ROOT/$G/onnx-testdata
  if [[ ! -e /usr/share/libonnx-testdata/data ]]; then
    if ! { mkdir -p /usr/share/libonnx-testdata &&
           ln -s "$ROOT/$G/onnx-testdata" /usr/share/libonnx-testdata/data; } 2>/dev/null; then
      say "gpu_run_tests: note: could not link /usr/share/libonnx-testdata/data (use \$GRAFT_ONNX_TESTDATA)"
    fi
  fi
fi

{
  echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname) ($(uname -r))"
  [[ -f $G/MANIFEST ]] && head -1 $G/MANIFEST
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=index,name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1 |
      sed 's/^/GPU /'
    nvidia-smi 2>/dev/null | grep -m1 'CUDA Version' | sed 's/^| *//; s/ *|$//'
  else
    echo "nvidia-smi: not found"
  fi
} 2>&1 | tee -a "$LOG"

# The tests: $G/tests.txt from the bundler, else every executable *_test under $G/bin.
tests=()
if [[ -f $G/tests.txt ]]; then
  mapfile -t tests < <(grep -v '^\s*$' $G/tests.txt)
else
  mapfile -t tests < <(find $G/bin -type f -perm -u+x -name '*test' | sort)
fi
if [[ $# -gt 0 ]]; then
  kept=()
  for t in "${tests[@]}"; do
    for f in "$@"; do [[ "$t" == *"$f"* ]] && { kept+=("$t"); break; }; done
  done
  tests=("${kept[@]}")
fi
if [[ ${#tests[@]} -eq 0 ]]; then
  say "gpu_run_tests: no tests to run"
  exit 1
fi

names=(); results=(); secs=()
npass=0; nfail=0; nskip=0
for t in "${tests[@]}"; do
  name=${t#$G/bin/}
  tlog=$(mktemp)
  say ""
  say "==== $name"
  start=$(date +%s.%N)
  timeout --kill-after=10 "$TIMEOUT" "$ROOT/$t" 2>&1 | tee "$tlog"
  rc=${PIPESTATUS[0]}
  end=$(date +%s.%N)
  cat "$tlog" >> "$LOG"
  dt=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
  # gtest: a binary whose tests were all skipped (none passed) counts as SKIPPED.
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$tlog" | tail -1)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$tlog" | tail -1)
  if [[ $rc -ne 0 ]]; then
    res=FAIL; [[ $rc -eq 124 || $rc -eq 137 ]] && res="FAIL (timeout ${TIMEOUT}s)"
    [[ $rc -ne 124 && $rc -ne 137 && $rc -ne 1 ]] && res="FAIL (exit $rc)"
    nfail=$((nfail + 1))
  elif [[ "${passed:-}" == 0 && "${skipped:-0}" -gt 0 ]]; then
    res=SKIPPED; nskip=$((nskip + 1))
  else
    res=PASS; npass=$((npass + 1))
    [[ "${skipped:-0}" -gt 0 ]] && res="PASS ($skipped skipped)"
  fi
  say "==== $name: $res in ${dt}s"
  names+=("$name"); results+=("$res"); secs+=("$dt")
  rm -f "$tlog"
done
rm -rf "$TEST_TMPDIR"

{
  echo ""
  w=4; for n in "${names[@]}"; do (( ${#n} > w )) && w=${#n}; done
  printf "%-${w}s  %-22s %8s\n" test result seconds
  for i in "${!names[@]}"; do
    printf "%-${w}s  %-22s %8s\n" "${names[$i]}" "${results[$i]}" "${secs[$i]}"
  done
  echo "$npass passed, $nfail failed, $nskip skipped"
} | tee -a "$LOG"

[[ $nfail -eq 0 ]]
