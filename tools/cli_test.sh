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
not() { ! "$@"; }
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
check "bad --filter fails" run_graft 1 conformance testdata --filter '(?x'
check "bad --filter is named" contains "$tmp/err" "--filter '(?x' is not a valid regular expression"

# graft run: the CPU engine on a tiny Add/Identity model (x[batch,3] + bias[3]; Identity(ids[batch])).
tiny=testdata/models/add_identity.onnx
check "help names run" run_graft 0 --help
check "help names run (2)" contains "$tmp/out" "graft run"
check "run --help" run_graft 0 run --help
check "run --help has examples" contains "$tmp/out" "Examples:"
check "run --help shows --inputs" contains "$tmp/out" "graft run model.onnx --inputs"
check "run with random inputs" run_graft 0 run "$tiny"
check "run names the outputs" contains "$tmp/out" "y/sum:0"
check "run shows output shapes" contains "$tmp/out" "[1, 3]"
check "run says the inputs are random" contains "$tmp/out" "random, seed 0"
check "run --input-shapes" run_graft 0 run "$tiny" --input-shapes x:4x3
check "--input-shapes sets the symbolic dim everywhere" contains "$tmp/out" "int64    [4]"
check "run --save-outputs" run_graft 0 run "$tiny" --seed 5 --input-shapes x:2x3 --save-outputs "$tmp/run_a"
for f in y_sum_0.pb y_sum_0.npy ids_out.pb ids_out.npy; do
  check "--save-outputs wrote $f" test -s "$tmp/run_a/$f"
done
check "run is deterministic for a seed" run_graft 0 run "$tiny" --seed 5 --input-shapes x:2x3 --save-outputs "$tmp/run_b"
check "same seed, same outputs" cmp -s "$tmp/run_a/y_sum_0.npy" "$tmp/run_b/y_sum_0.npy"
check "run with another seed" run_graft 0 run "$tiny" --seed 6 --input-shapes x:2x3 --save-outputs "$tmp/run_c"
check "another seed, other outputs" not cmp -s "$tmp/run_a/y_sum_0.npy" "$tmp/run_c/y_sum_0.npy"
check "run --json" run_graft 0 run "$tiny" --json
check "run --json names the backend" contains "$tmp/out" '"backend": "cpu"'
check "run --json names the outputs" contains "$tmp/out" '"name": "y/sum:0"'
check "run --backend cpu" run_graft 0 run "$tiny" --backend cpu

# Inputs from files: a folder of .npy, and TensorProto files in graph-input order.
check "run --inputs folder of .npy" run_graft 0 run "$tiny" --inputs testdata/reference/add_identity/inputs --save-outputs "$tmp/run_ref"
check "outputs match onnxruntime's" cmp -s "$tmp/run_ref/ids_out.npy" testdata/reference/add_identity/outputs/ids_out.npy
mkdir -p "$tmp/pb_inputs"
cp "$tmp/run_a/y_sum_0.pb" "$tmp/pb_inputs/input_0.pb"      # x: float32[2, 3]
cp "$tmp/run_a/ids_out.pb" "$tmp/pb_inputs/input_2.pb"      # ids: int64[2]
cp testdata/reference/add_identity/inputs/bias.npy "$tmp/pb_inputs/"
check "run --inputs input_N.pb" run_graft 0 run "$tiny" --inputs "$tmp/pb_inputs"
check "run --inputs names the files" contains "$tmp/out" "input_0.pb"

# Errors: one line, nonzero exit, naming what is wrong.
bad_inputs() {  # bad_inputs NAME SOURCE: the reference inputs with NAME.npy replaced by SOURCE
  rm -rf "$tmp/bad_in" && mkdir -p "$tmp/bad_in" && cp testdata/reference/add_identity/inputs/*.npy "$tmp/bad_in/"
  cp "$2" "$tmp/bad_in/$1.npy"
}
bad_inputs bias testdata/reference/numpy/float32.npy    # float32[2, 3] for float32[3]
check "wrong input shape fails" run_graft nonzero run "$tiny" --inputs "$tmp/bad_in" --save-outputs "$tmp/bad_out"
check "wrong input shape error names the input" contains "$tmp/err" "input 'bias': expected float32[3], got float32[2, 3]"
check "wrong input shape error is one line" one_line "$tmp/err"
check "no outputs after a failed run" test ! -e "$tmp/bad_out"
bad_inputs ids testdata/reference/numpy/int32.npy       # int32 for int64
check "wrong input type fails" run_graft nonzero run "$tiny" --inputs "$tmp/bad_in"
check "wrong input type error" contains "$tmp/err" "wrong element type"
check "wrong input type error is one line" one_line "$tmp/err"
check "run with batch 4" run_graft 0 run "$tiny" --input-shapes x:4x3 --save-outputs "$tmp/run_d"
bad_inputs x "$tmp/run_d/y_sum_0.npy"                    # float32[4, 3] beside ids int64[2]
check "symbolic dims must agree" run_graft nonzero run "$tiny" --inputs "$tmp/bad_in"
check "symbolic dim error" contains "$tmp/err" "'batch' is 2 here but 4 in another input"
check "symbolic dim error is one line" one_line "$tmp/err"
check "--input-shapes with --inputs is refused" run_graft nonzero run "$tiny" --inputs "$tmp/bad_in" --input-shapes x:4x3
check "--input-shapes with --inputs error" contains "$tmp/err" "--input-shapes"
check "missing input fails" run_graft nonzero run "$tiny" --inputs testdata/reference/numpy/stored.npz
check "missing input is named" contains "$tmp/err" "input 'bias'"
check "missing input error is one line" one_line "$tmp/err"
check "bad --input-shapes fails" run_graft nonzero run "$tiny" --input-shapes x:4x5
check "bad --input-shapes error" contains "$tmp/err" "dim 1 is fixed at 3"
check "bad --input-shapes error is one line" one_line "$tmp/err"
check "other backends are refused" run_graft nonzero run "$tiny" --backend gpu
check "backend error names the choices" contains "$tmp/err" "--backend gpu: expected cpu or cuda"
check "backend error is one line" one_line "$tmp/err"
check "unsupported ops fail" run_graft nonzero run testdata/models/attributes_all.onnx
check "unsupported ops are named" contains "$tmp/err" "have no CPU kernel"
check "unsupported ops error is one line" one_line "$tmp/err"
check "unknown input file fails" run_graft nonzero run "$tiny" --inputs testdata/reference/numpy/float32.npy
check "unknown input file is named" contains "$tmp/err" "float32.npy"
check "run on a missing model fails" run_graft nonzero run "$tmp/none.onnx"

# sanitize: folds exporter patterns, reports, writes atomically, refuses contradictions.
check "sanitize --help" run_graft 0 sanitize --help
check "sanitize --help has examples" contains "$tmp/out" "Examples:"
check "sanitize --list-passes" run_graft 0 sanitize --list-passes
check "sanitize lists fold-constants" contains "$tmp/out" "fold-constants"
check "sanitize resize scales" run_graft 0 sanitize testdata/patterns/resize_scales_chain.onnx -o "$tmp/resize.onnx"
check "sanitize says nodes before" contains "$tmp/out" "nodes before: 10"
check "sanitize says nodes after" contains "$tmp/out" "nodes after:  1 (Resize 1)"
check "sanitize says what folded" contains "$tmp/out" "folded"
check "sanitized model runs" run_graft 0 run "$tmp/resize.onnx" --seed 1
check "sanitize --json" run_graft 0 sanitize "$model" -o "$tmp/ocr.onnx" --json
check "sanitize --json counts" contains "$tmp/out" '"nodes_before": 471'
no_op_after() { python3 -c 'import json, sys; sys.exit(sys.argv[2] in json.load(open(sys.argv[1]))["ops_after"])' "$@"; }
check "sanitize folds the BatchNormalizations" no_op_after "$tmp/out" BatchNormalization
check "sanitize --input-shapes" run_graft 0 sanitize "$model" -o "$tmp/ocr_static.onnx" --input-shapes x:1x3x48x192
check "sanitize static shapes leave no unknown shapes" not contains "$tmp/out" "without a static shape"
check "sanitize bad --input-shapes name" run_graft nonzero sanitize "$model" -o "$tmp/nope.onnx" --input-shapes y:1x3
check "sanitize names the inputs" contains "$tmp/err" "(inputs: x)"
check "sanitize unknown pass" run_graft nonzero sanitize "$model" -o "$tmp/nope.onnx" --passes bogus
check "sanitize names the pass" contains "$tmp/err" "unknown pass 'bogus'"
for m in matmul_mismatch reshape_impossible; do
  check "sanitize refuses $m" run_graft nonzero sanitize testdata/contradictory/$m.onnx -o "$tmp/$m.onnx"
  check "sanitize $m error is one line" one_line "$tmp/err"
  check "sanitize $m writes nothing" test ! -e "$tmp/$m.onnx"
done
check "sanitize matmul names both shapes" grep -q "node 'mm' (MatMul).*A \[2, 3\] and B \[4, 5\]" <("$graft" sanitize testdata/contradictory/matmul_mismatch.onnx -o "$tmp/x.onnx" 2>&1)

# plugins: built-ins, a library loaded with --plugins, --plugin-map and --swap-plugins.
swish=testdata/plugins/scaled_swish.onnx
dcn_shapes=x:2x4x9x9,offset:2x36x5x5,mask:2x18x5x5
check "plugins list" run_graft 0 plugins list
check "plugins list names DeformConv2d" contains "$tmp/out" "graft::DeformConv2d v1"
check "plugins list --plugins --json" run_graft 0 plugins list --plugins examples/libacme_plugins.so --json
check "plugins list shows the library's plugin" contains "$tmp/out" '"library": "examples/libacme_plugins.so"'
check "plugins bad library" run_graft nonzero plugins list --plugins "$swish"
check "plugins bad library is named" contains "$tmp/err" "cannot load plugin library $swish"
check "run custom op without its library" run_graft nonzero run "$swish" --input-shapes x:2x3x4
check "run custom op names the node" contains "$tmp/err" "node 'swish' (acme::ScaledSwish)"
check "run through the plugin library" run_graft 0 run "$swish" --input-shapes x:2x3x4 --plugins examples/libacme_plugins.so
check "sanitize --swap-plugins" run_graft 0 sanitize testdata/plugins/deform_conv_onnx_domain.onnx -o "$tmp/dcn.onnx" --plugin-map DeformConv=graft::DeformConv2d --swap-plugins
check "sanitize reports the swap" contains "$tmp/out" "swapped node 'dcn' (DeformConv) -> plugin graft::DeformConv2d v1 (built-in)"
check "the swapped model runs without a mapping" run_graft 0 run "$tmp/dcn.onnx" --input-shapes "$dcn_shapes"
check "run with --plugin-map" run_graft 0 run testdata/plugins/deform_conv_onnx_domain.onnx --input-shapes "$dcn_shapes" --plugin-map DeformConv=graft::DeformConv2d
check "bad --plugin-map" run_graft nonzero inspect "$swish" --plugin-map DeformConv=graft::Nope
check "bad --plugin-map is named" contains "$tmp/err" "--plugin-map 'DeformConv=graft::Nope': no plugin graft::Nope is registered"

# Graph surgery on the OCR classifier: edit, extract, rewrite, diff. Where an edit keeps the
# computation, the outputs are compared byte for byte with the original model's.
ocr_in=testdata/reference/ch_ppocr_mobile_v2.0_cls_infer/inputs
for sub in edit extract rewrite diff; do
  check "help names $sub" grep -q "graft $sub" <("$graft" --help)
  check "$sub --help" run_graft 0 "$sub" --help
  check "$sub --help has examples" contains "$tmp/out" "Examples:"
done
check "run the original model" run_graft 0 run "$model" --inputs "$ocr_in" --save-outputs "$tmp/ocr_out"

# edit: flags and scripts in command-line order, all or nothing.
cat >"$tmp/edits.txt" <<'EOF'
# names for the stem
rename-node p2o.Conv.0 stem_conv
rename-tensor softmax_0.tmp_0 probs      # the output keeps its values
set-attr p2o.Softmax.0 axis 1
EOF
check "edit with a script and flags" run_graft 0 edit "$model" -o "$tmp/edited.onnx" --script "$tmp/edits.txt" --rename-node stem_conv=first_conv --set-metadata author=graft
check "edit reports each edit with its line" contains "$tmp/out" "edits.txt line 3"
check "edit reports what it did" contains "$tmp/out" "renamed node 'stem_conv' (Conv) to 'first_conv'"
check "edit says where it wrote" contains "$tmp/out" "wrote $tmp/edited.onnx"
check "edited model runs" run_graft 0 run "$tmp/edited.onnx" --inputs "$ocr_in" --save-outputs "$tmp/edited_out"
check "edited model computes the same" cmp -s "$tmp/ocr_out/softmax_0.tmp_0.npy" "$tmp/edited_out/probs.npy"
check "edit --json" run_graft 0 edit "$model" -o "$tmp/edited2.onnx" --remove-node p2o.Relu.7 --json
check "edit --json says what was done" contains "$tmp/out" "\"done\": \"removed node 'p2o.Relu.7' (Relu); readers of 'relu_7.tmp_0' now read 'conv2d_63.tmp_0'\""
check "removed node is gone" run_graft 0 inspect "$tmp/edited2.onnx"
check "470 nodes left" contains "$tmp/out" "470 nodes"
check "model without the Relu runs" run_graft 0 run "$tmp/edited2.onnx" --inputs "$ocr_in"
check "edit --set-input-shape" run_graft 0 edit "$model" -o "$tmp/static.onnx" --set-input-shape x:1x3x48x192 --set-batch 1
check "static model runs on random inputs" run_graft 0 run "$tmp/static.onnx"
check "static model input shape" contains "$tmp/out" "[1, 3, 48, 192]"
check "edit --dry-run" run_graft 0 edit "$model" --rename-node p2o.Conv.0=c0 --dry-run
check "edit --dry-run writes nothing" contains "$tmp/out" "dry run: nothing written"
printf 'rename-node p2o.Conv.0 stem\nremove-node p2o.Relu.7\nset-attr p2o.Softmax.O axis 1\n' >"$tmp/bad_edits.txt"
check "edit script error fails" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx" --script "$tmp/bad_edits.txt"
check "edit script error names the line, the edit and the closest node" contains "$tmp/err" "bad_edits.txt line 3: set-attr p2o.Softmax.O axis 1: graph 'Model from PaddlePaddle.' has no node named 'p2o.Softmax.O'; closest: 'p2o.Softmax.0'"
check "edit script error is one line" one_line "$tmp/err"
check "no output after a failed edit" test ! -e "$tmp/bad_edit.onnx"
check "edit refuses a taken name" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx" --rename-node p2o.Conv.0=p2o.Conv.1
check "taken name is named" contains "$tmp/err" "node 'p2o.Conv.1' (Conv) in graph 'Model from PaddlePaddle.' has that name"
check "edit refuses a cycle" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx" --set-node-input p2o.Conv.0.0=softmax_0.tmp_0
check "cycle is named" contains "$tmp/err" "--set-node-input p2o.Conv.0.0=softmax_0.tmp_0: the edit would create a cycle"
check "edit refuses a dangling output" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx" --set-outputs probz
check "dangling output names the closest" contains "$tmp/err" "has no tensor named 'probz'"
check "edit refuses a type change" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx" --set-attr p2o.Softmax.0.axis=[1]
check "type change is explained" contains "$tmp/err" "attribute 'axis' is int"
check "edit bad flag form" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx" --rename-node p2o.Conv.0
check "bad flag form is named" contains "$tmp/err" "--rename-node wants OLD=NEW, got 'p2o.Conv.0'"
check "edit without edits" run_graft nonzero edit "$model" -o "$tmp/bad_edit.onnx"
check "edit errors are one line" one_line "$tmp/err"
check "no output after refused edits" test ! -e "$tmp/bad_edit.onnx"

# diff: exit 0 equal, 1 different, 2 trouble.
check "diff of a model with itself" run_graft 0 diff "$model" "$model"
check "diff says no differences" contains "$tmp/out" "no differences"
check "diff of an edited model" run_graft 1 diff "$model" "$tmp/edited.onnx"
check "diff shows the renamed node" contains "$tmp/out" "~ node 'p2o.Conv.0' (Conv): name: 'p2o.Conv.0' -> 'first_conv'"
check "diff shows the new output" contains "$tmp/out" "+ output 'probs': float32[p2o.DynamicDimension.3, 2]"
check "diff shows the metadata" contains "$tmp/out" "+ metadata 'author': 'graft'"
check "diff shows a removed node" run_graft 1 diff "$model" "$tmp/edited2.onnx"
check "removed node and rewired reader" contains "$tmp/out" "~ node 'p2o.Conv.15' (Conv): input 0: 'relu_7.tmp_0' -> 'conv2d_63.tmp_0'"
check "diff --json" run_graft 1 diff "$model" "$tmp/edited2.onnx" --json
check "diff --json says not equal" contains "$tmp/out" '"equal": false'
check "diff --json lists the removed node" contains "$tmp/out" '"change": "removed"'
check "diff of a missing file" run_graft 2 diff "$model" "$tmp/none.onnx"
check "diff names the missing file" contains "$tmp/err" "$tmp/none.onnx"

# extract: the subgraph's output equals the full model's intermediate.
check "edit --add-output for the intermediates" run_graft 0 edit "$model" -o "$tmp/probe.onnx" --add-output p2o.Add.7,hardswish_2.tmp_0
check "intermediates get their inferred types" contains "$tmp/out" "typed by shape inference: output 'p2o.Add.7'"
check "run the probe" run_graft 0 run "$tmp/probe.onnx" --inputs "$ocr_in" --save-outputs "$tmp/probe_out"
check "extract" run_graft 0 extract "$model" -o "$tmp/sub.onnx" --inputs p2o.Add.7 --outputs hardswish_2.tmp_0
check "extract shows the typed input" contains "$tmp/out" "p2o.Add.7  float32[p2o.DynamicDimension.0, 8, ?, ?]"
check "extract counts the kept nodes" contains "$tmp/out" "kept 26 of 471 nodes"
check "extracted model runs" run_graft 0 run "$tmp/sub.onnx" --inputs "$tmp/probe_out/p2o.Add.7.npy" --save-outputs "$tmp/sub_out"
check "extracted model computes the intermediate" cmp -s "$tmp/probe_out/hardswish_2.tmp_0.npy" "$tmp/sub_out/hardswish_2.tmp_0.npy"
check "extract from the model's own inputs" run_graft 0 extract "$model" -o "$tmp/front.onnx" --outputs p2o.Add.7 --json
check "extract --json names the input" contains "$tmp/out" '"name": "x"'
check "front runs" run_graft 0 run "$tmp/front.onnx" --inputs "$ocr_in" --save-outputs "$tmp/front_out"
check "front computes the intermediate" cmp -s "$tmp/probe_out/p2o.Add.7.npy" "$tmp/front_out/p2o.Add.7.npy"
check "extract unknown tensor" run_graft nonzero extract "$model" -o "$tmp/bad_sub.onnx" --inputs p2o.Add.7 --outputs hardswish_2.tmp_
check "unknown tensor names the closest" contains "$tmp/err" "has no tensor named 'hardswish_2.tmp_'; closest: 'hardswish_2.tmp_0'"
check "extract a cut that needs another input" run_graft nonzero extract "$model" -o "$tmp/bad_sub.onnx" --inputs hardswish_2.tmp_0 --outputs p2o.Add.7
check "the missing input is named" contains "$tmp/err" "needs graph input 'x', which is not among the new inputs"
check "extract errors are one line" one_line "$tmp/err"
check "no output after a failed extract" test ! -e "$tmp/bad_sub.onnx"

# rewrite: fuse into custom ops, expand back to the same computation.
cat >"$tmp/fuse.txt" <<'EOF'
# the squeeze-excite gate: Mul(x, HardSigmoid(g)) as one op carrying the HardSigmoid's attributes
rule fuse_gate: Mul(x, HardSigmoid(g) as h) => com.example.Gate(x, g) [h.alpha, h.beta]
# hard-swish as Paddle exports it: x * Clip(x + 3, 0, 6) / 6
rule fuse_hardswish: x -> Add(x, 3.0) as a; Clip(a) [min=0.0, max=6.0] as c; Mul(x, c) as m; Div(m, 6.0) as y
    => com.example.HardSwish(x) -> y
EOF
cat >"$tmp/expand.txt" <<'EOF'
rule expand_gate: com.example.Gate(x, g) as y => Mul(x, HardSigmoid(g) [y.alpha, y.beta]) -> y
rule expand_hardswish: com.example.HardSwish(x) as y => Div(Mul(x, Clip(Add(x, 3.0)) [min=0.0, max=6.0]), 6.0) -> y
EOF
check "rewrite fuses" run_graft 0 rewrite "$model" -o "$tmp/fused.onnx" --rules "$tmp/fuse.txt"
check "rewrite counts per rule" grep -q "fuse_hardswish  18 rewrites" "$tmp/out"
check "rewrite counts the gates" grep -q "fuse_gate  *9 rewrites" "$tmp/out"
check "rewrite imports the custom domain" contains "$tmp/out" "imported opset com.example version 1"
check "fused model has the custom ops" run_graft 0 inspect "$tmp/fused.onnx"
check "fused op counts" contains "$tmp/out" "com.example::HardSwish 18"
check "rewrite expands back" run_graft 0 rewrite "$tmp/fused.onnx" -o "$tmp/expanded.onnx" --rules "$tmp/expand.txt" --json
check "rewrite --json counts" contains "$tmp/out" '"total": 27'
check "expanded model runs" run_graft 0 run "$tmp/expanded.onnx" --inputs "$ocr_in" --save-outputs "$tmp/expanded_out"
check "expanded model computes the same" cmp -s "$tmp/ocr_out/softmax_0.tmp_0.npy" "$tmp/expanded_out/softmax_0.tmp_0.npy"
echo 'rule hardswish: x -> Add(x, 3.0) as a; Clip(a) [min=0.0, max=6.0] as c; Mul(x, c) as m; Div(m, 6.0) as y => HardSwish(x) -> y' >"$tmp/std.txt"
check "rewrite to a standard op" run_graft 0 rewrite "$model" -o "$tmp/hardswish.onnx" --rules "$tmp/std.txt"
check "model with HardSwish runs" run_graft 0 run "$tmp/hardswish.onnx" --inputs "$ocr_in"
cat "$tmp/fuse.txt" "$tmp/expand.txt" >"$tmp/loop.txt"
check "rules that undo each other fail" run_graft nonzero rewrite "$model" -o "$tmp/bad_rw.onnx" --rules "$tmp/loop.txt" --max-iterations 5
check "no fixpoint is explained" contains "$tmp/err" "did not reach a fixpoint in 5 sweeps"
printf '# a typo on line 2\nrule r: Relu(x as y => Foo(x)\n' >"$tmp/bad_rules.txt"
check "rules syntax error fails" run_graft nonzero rewrite "$model" -o "$tmp/bad_rw.onnx" --rules "$tmp/bad_rules.txt"
check "rules syntax error names the line" contains "$tmp/err" "bad_rules.txt line 2: rule r: expected ')' after the inputs of Relu, got 'as'"
echo 'rule r: x -> Sigmoid(x) as s; Mul(x, s) as y => Foo(s) -> y' >"$tmp/bad_rules.txt"
check "a replacement reading a removed tensor fails" run_graft nonzero rewrite "$model" -o "$tmp/bad_rw.onnx" --rules "$tmp/bad_rules.txt"
check "removed tensor is named" contains "$tmp/err" "the replacement reads 's', which the match removes"
check "rewrite errors are one line" one_line "$tmp/err"
check "no output after a failed rewrite" test ! -e "$tmp/bad_rw.onnx"

# build and run plans. CPU plans work everywhere; where no GPU is usable, cuda builds fail
# with one line saying why.
check "build --help has examples" run_graft 0 build --help
check "build help names --fp16" contains "$tmp/out" "--fp16"
check "cpu plan builds" run_graft 0 build "$model" -o "$tmp/m.plan" --device cpu
check "cpu plan is written" test -s "$tmp/m.plan"
check "cpu plan runs" run_graft 0 run "$tmp/m.plan" --input-shapes x:1x3x48x192
check "plan run names the cpu" contains "$tmp/out" "ran on cpu"
check "cpu timing runs" run_graft 0 run "$tmp/m.plan" --input-shapes x:1x3x48x192 --iterations 3 --json
check "cpu timing has latency" contains "$tmp/out" '"latency_ms"'
check "compare-to cpu passes" run_graft 0 run "$model" --input-shapes x:1x3x48x192 --compare-to cpu
check "compare-to prints PASS" contains "$tmp/out" "PASS (max abs error 0"
head -c 200 "$tmp/m.plan" > "$tmp/truncated.plan"
check "truncated plan fails" run_graft nonzero run "$tmp/truncated.plan"
check "truncated plan error" contains "$tmp/err" "truncated"
check "truncated plan error is one line" one_line "$tmp/err"
cp "$tmp/m.plan" "$tmp/corrupt.plan"
printf '\x5a\x5a\x5a\x5a' | dd of="$tmp/corrupt.plan" bs=1 seek=4000 conv=notrunc status=none
check "corrupt plan fails" run_graft nonzero run "$tmp/corrupt.plan"
check "corrupt plan error" contains "$tmp/err" "checksum mismatch"
check "cuda on a cpu plan fails" run_graft nonzero run "$tmp/m.plan" --backend cuda
check "cuda on a cpu plan error" contains "$tmp/err" "is a cpu plan"
check "gpu-only flags refused on cpu" run_graft nonzero run "$model" --input-shapes x:1x3x48x192 --cuda-graph
check "gpu-only flags error" contains "$tmp/err" "need the cuda backend"
check "bad precision constraint fails" run_graft nonzero build "$model" -o "$tmp/p.plan" --precision-constraints conv1:fp64
check "bad precision constraint error" contains "$tmp/err" "'conv1:fp64' is not NODE:fp32"
check "no plan after a failed build" test ! -e "$tmp/p.plan"
check "two precisions refused" run_graft nonzero build "$model" -o "$tmp/p.plan" --fp16 --tf32
check "half a profile refused" run_graft nonzero build "$model" -o "$tmp/p.plan" --min-shapes x:1x3x48x192
check "half a profile error" contains "$tmp/err" "go together"
if ! "$graft" build "$model" -o "$tmp/g.plan" --shapes x:1x3x48x192 >/dev/null 2>"$tmp/err"; then
  check "cuda build without a GPU says why" contains "$tmp/err" "use --device cpu"
  check "cuda build error is one line" one_line "$tmp/err"
  check "no plan after a refused cuda build" test ! -e "$tmp/g.plan"
fi

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
