#!/usr/bin/env bash
# End-to-end checks of the graft binary: help, outputs, exit codes, and that a failing
# command leaves no output file behind.
set -uo pipefail
graft="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
model=testdata/real/ch_ppocr_mobile_v2.0_cls_infer.onnx
passed=0
failed=0

check() {  # check NAME COMMAND...: the command must succeed
  local name="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $name"
    failed=$((failed + 1))
  fi
}

# run_graft EXPECTED_EXIT ARGS...: runs graft, keeps stdout/stderr, checks the exit code.
run_graft() {
  local want="$1"
  shift
  "$graft" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [[ "$want" == nonzero ]]; then [[ $got -ne 0 ]]; else [[ $got -eq $want ]]; fi
}

contains() { grep -qF -- "$2" "$1"; }
one_line() { [[ $(wc -l <"$1") -eq 1 ]]; }

check "help lists subcommands" run_graft 0 --help
check "help names inspect" contains "$tmp/out" inspect
check "help names convert" contains "$tmp/out" convert
for sub in inspect convert; do
  check "$sub --help" run_graft 0 "$sub" --help
  check "$sub --help has examples" contains "$tmp/out" "Examples:"
done

check "inspect runs" run_graft 0 inspect "$model"
check "inspect counts nodes" contains "$tmp/out" "471 nodes"
check "inspect shows the input" contains "$tmp/out" "x  float32[p2o.DynamicDimension.0, 3, p2o.DynamicDimension.1, p2o.DynamicDimension.2]"
check "inspect counts parameters" contains "$tmp/out" "133,665 parameters"
check "inspect --nodes" run_graft 0 inspect "$model" --nodes
check "inspect --nodes lists attributes" contains "$tmp/out" "kernel_shape = [3, 3]"
check "inspect --json" run_graft 0 inspect "$model" --json
check "inspect --json node count" contains "$tmp/out" '"node_count": 471'
check "inspect subgraphs" run_graft 0 inspect testdata/models/subgraphs.onnx
check "inspect shows nested subgraphs" contains "$tmp/out" "subgraph body of"

check "convert to external" run_graft 0 convert "$model" -o "$tmp/ext.onnx" --external-data ext.bin
check "convert reports the weights file" contains "$tmp/out" "ext.bin"
check "convert back to embedded" run_graft 0 convert "$tmp/ext.onnx" -o "$tmp/emb.onnx" --embed-weights
check "round trip is byte-identical" cmp -s "$model" "$tmp/emb.onnx"
check "convert --json" run_graft 0 convert "$model" -o "$tmp/copy.onnx" --json
check "convert --json bytes" contains "$tmp/out" '"bytes": 578966'

check "corrupt model fails" run_graft nonzero convert testdata/bad/truncated.onnx -o "$tmp/bad.onnx"
check "corrupt model error names the file" contains "$tmp/err" "testdata/bad/truncated.onnx"
check "corrupt model error is one line" one_line "$tmp/err"
check "no output after failure" test ! -e "$tmp/bad.onnx"
check "cycle fails" run_graft nonzero inspect testdata/bad/cycle.onnx
check "cycle error names the nodes" contains "$tmp/err" "node 'relu' (Relu)"
check "missing file fails" run_graft nonzero inspect "$tmp/none.onnx"
check "missing file is named" contains "$tmp/err" "$tmp/none.onnx"
check "unknown flag fails" run_graft nonzero inspect "$model" --bogus
check "unknown flag is named" contains "$tmp/err" "--bogus"
check "threshold needs --external-data" run_graft nonzero convert "$model" -o "$tmp/x.onnx" --external-data-threshold 10
check "embed and external exclude each other" run_graft nonzero convert "$model" -o "$tmp/x.onnx" --embed-weights --external-data w.bin
check "no output after flag errors" test ! -e "$tmp/x.onnx"
check "no subcommand fails" run_graft nonzero

# inspect works on every model we have, in every output form.
inspect_all() {
  local m bad=0
  for m in $(find "${GRAFT_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}" testdata/models testdata/real -name '*.onnx'); do
    for flags in "" "--nodes" "--json --nodes"; do
      if ! "$graft" inspect "$m" $flags >/dev/null 2>"$tmp/err"; then
        echo "inspect $flags failed on $m: $(cat "$tmp/err")"
        bad=1
      fi
    done
  done
  return $bad
}
check "inspect works on every model" inspect_all

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
