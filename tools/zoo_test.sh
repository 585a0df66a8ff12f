#!/usr/bin/env bash
# graft zoo end to end: testdata/ plus the ONNX conformance suite on the CPU, checked model
# by model against the known truth (testdata/zoo/expected.txt and
# engine/conformance_passing.txt), a model that crashes the converter and one that hangs
# (both contained and reported), --resume, interruption, bad input, and the HTML report in
# headless Chromium (skipped, saying so, where Chromium is not installed).
# Arguments: graft, libfaults.so.
set -uo pipefail
graft="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
faults="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
conformance=/usr/share/libonnx-testdata/data
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
json() {  # json FILE EXPR: prints a Python expression of the report `r`
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(($2))" "$1"
}
equals() { [[ "$1" == "$2" ]] || { echo "  expected '$2', got '$1'"; false; }; }

# --- help and bad input: one-line errors, non-zero exit -----------------------------------
check "zoo --help" run_graft 0 zoo --help
check "zoo --help has examples" contains "$tmp/out" "Examples:"
check "graft --help names zoo" run_graft 0 --help
check "graft --help names zoo (2)" contains "$tmp/out" "graft zoo"
check "missing DIR fails" run_graft nonzero zoo "$tmp/none" -o "$tmp/o1"
check "missing DIR is named" contains "$tmp/err" "$tmp/none: no such folder"
check "missing DIR: one line" one_line "$tmp/err"
mkdir -p "$tmp/empty/sub"
check "no models fails" run_graft nonzero zoo "$tmp/empty" -o "$tmp/o2"
check "no models is said" contains "$tmp/err" "no .onnx models under $tmp/empty"
check "no models: one line" one_line "$tmp/err"
echo "a file" >"$tmp/afile"
check "unwritable OUTDIR fails" run_graft nonzero zoo testdata/zoo -o "$tmp/afile/out"
check "unwritable OUTDIR is named" contains "$tmp/err" "$tmp/afile/out: cannot create the output folder"
check "unwritable OUTDIR: one line" one_line "$tmp/err"
check "OUTDIR = DIR fails" run_graft nonzero zoo testdata/zoo -o testdata/zoo
check "OUTDIR = DIR is said" contains "$tmp/err" "testdata/zoo: is the models' folder itself"
check "--jobs 0 fails" run_graft nonzero zoo testdata/zoo -o "$tmp/o3" --jobs 0
check "--jobs 0 is named" contains "$tmp/err" "--jobs"
check "bad --device fails" run_graft nonzero zoo testdata/zoo -o "$tmp/o3" --device tpu
check "bad --device is named" contains "$tmp/err" "--device tpu: expected cpu or cuda"
check "bad --device: one line" one_line "$tmp/err"
check "--fp16 without cuda fails" run_graft nonzero zoo testdata/zoo -o "$tmp/o3" --fp16
check "--fp16 without cuda is said" contains "$tmp/err" "--fp16 needs --device cuda"
check "bad --filter fails" run_graft nonzero zoo testdata/zoo -o "$tmp/o3" --filter '(x'
check "bad --filter is named" contains "$tmp/err" "--filter '(x' is not a valid regular expression"
check "bad --input-shapes fails" run_graft nonzero zoo testdata/zoo -o "$tmp/o3" --input-shapes 'x:1xb'
check "bad --input-shapes: one line" one_line "$tmp/err"
check "no output folder after bad flags" test ! -e "$tmp/o3"
if ! nvidia-smi -L >/dev/null 2>&1; then
  check "--device cuda without a GPU fails" run_graft nonzero zoo testdata/zoo -o "$tmp/o4" --device cuda
  check "--device cuda without a GPU says so" contains "$tmp/err" "--device cuda: "
  check "--device cuda without a GPU: one line" one_line "$tmp/err"
fi

# --- the zoo: testdata/ and the conformance suite -----------------------------------------
zoo_in="$tmp/zoo_in"
mkdir -p "$zoo_in"
ln -sfn "$PWD/testdata" "$zoo_in/testdata"
ln -sfn "$conformance" "$zoo_in/conformance"
out="$tmp/zoo_out"
start=$(date +%s.%N)
check "zoo runs" run_graft 0 zoo "$zoo_in" -o "$out" --jobs 2 --timeout 15 --memory-limit 2048 --plugins "$faults"
first_s=$(python3 -c "print($(date +%s.%N) - $start)")
cp "$tmp/out" "$tmp/zoo_stdout"
cp "$tmp/err" "$tmp/zoo_stderr"
for f in report.md report.json report.html; do check "wrote $f" test -s "$out/$f"; done
check "progress lines on stderr" contains "$tmp/zoo_stderr" "graft zoo: ["
check "summary names the crash" contains "$tmp/zoo_stdout" "crashes: SIGSEGV"
check "report.md names the timeout" contains "$out/report.md" "1 model times out during run"

# Every model against the truth.
check "every model as known" python3 - "$out/report.json" testdata/zoo/expected.txt engine/conformance_passing.txt <<'EOF'
import json, sys
report, expected_file, passing_file = sys.argv[1:]
r = json.load(open(report))
models = {m["model"]: m for m in r["models"]}
bad = []
expected = {}
for line in open(expected_file):
    if line.startswith("#") or not line.strip():
        continue
    parts = line.rstrip("\n").split("\t")
    expected[parts[0]] = parts[1:]
passing = [l.strip() for l in open(passing_file) if l.strip() and not l.startswith("#")]
# The conformance cases that do not pass on the CPU engine are those expected.txt lists.
cases = {m.split("/")[-2] for m in models if m.startswith("conformance/")}
listed = {m.split("/")[-2] for m in expected if m.startswith("conformance/")}
if cases - set(passing) != listed:
    bad.append(f"expected.txt's conformance cases disagree with conformance_passing.txt: {sorted((cases - set(passing)) ^ listed)}")
for case in passing:
    for kind in ("node", "pytorch-converted", "pytorch-operator", "simple", "real"):
        key = f"conformance/{kind}/{case}/model.onnx"
        if key in models:
            expected[key] = ["converted*", "done", "matches"]
            break
    else:
        bad.append(f"{case}: in conformance_passing.txt, not in the report")
unknown = sorted(set(models) - set(expected))
if unknown:
    bad.append(f"{len(unknown)} models not in testdata/zoo/expected.txt: {unknown[:5]}")
for name, (status, stage, *rest) in sorted(expected.items()):
    m = models.get(name)
    if m is None:
        bad.append(f"{name}: not in the report")
        continue
    ok_status = m["status"] in ("converted", "converted_after_fixes") if status == "converted*" else m["status"] == status
    if not ok_status or m["stage"] != stage:
        bad.append(f"{name}: {m['status']} at {m['stage']}, expected {status} at {stage} ({m['detail'][:120]})")
    note = rest[0] if rest else ""
    if note == "matches" and not (m["compared"] and m["has_expected"] and m["matches_expected"]):
        bad.append(f"{name}: compared {m['compared']}, matches its expected outputs {m['matches_expected']}")
    if note == "random" and (m["compared"] or "unseeded random" not in m["not_compared"]):
        bad.append(f"{name}: expected not compared for unseeded random ops")
    if note == "differs" and not (m["compared"] and m["has_expected"] and not m["matches_expected"]):
        bad.append(f"{name}: expected to equal the original but not the expected outputs")
counts = {}
for name, (status, *_) in expected.items():
    counts[status] = counts.get(status, 0) + 1
converted = r["counts"]["converted"] + r["counts"]["converted_after_fixes"]
want_converted = counts.get("converted*", 0) + counts.get("converted", 0) + counts.get("converted_after_fixes", 0)
if converted != want_converted:
    bad.append(f"{converted} converted, expected {want_converted}")
for status in ("unsupported_ops", "needs_input_shapes", "parity_failure", "failed", "crashed", "timed_out",
               "out_of_memory"):
    if r["counts"][status] != counts.get(status, 0):
        bad.append(f"{r['counts'][status]} {status}, expected {counts.get(status, 0)}")
if r["total"] != len(expected) or r["total"] != 49 + 1072:
    bad.append(f"{r['total']} models, expected {len(expected)} (49 in testdata, 1072 conformance cases)")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF

check "the cause summary counts Gradient" python3 -c "
import json; r = json.load(open('$out/report.json'))
c = [c for c in r['causes'] if c['key'] == 'ai.onnx.preview.training::Gradient']
assert c and c[0]['count'] == 2 and c[0]['kind'] == 'needs_plugin', c"
check "the cause summary groups the test data defects" python3 -c "
import json; r = json.load(open('$out/report.json'))
c = [c for c in r['causes'] if c['kind'] == 'failed' and c['key'].startswith('run: input')]
assert sum(x['count'] for x in c) == 4 and len(c) == 2, [x['key'] for x in r['causes']]"
check "the crash is reported with its signal" equals "$(json "$out/report.json" "[m for m in r['models'] if m['model']=='testdata/zoo/crash.onnx'][0]['signal']")" 11
check "the crash's log says so" contains "$out/testdata__zoo__crash/log.txt" "crashed: SIGSEGV during run"
check "the hang's log says so" contains "$out/testdata__zoo__hang/log.txt" "timed_out: no result after 0:15"
check "a converted model has its plan" test -s "$out/conformance__node__test_abs/model.plan"
check "a converted model has its sanitized model" test -s "$out/conformance__node__test_abs/sanitized.onnx"
check "a converted model has its log" contains "$out/conformance__node__test_abs/log.txt" "converted"
check "the sanitized model loads" run_graft 0 inspect "$out/testdata__patterns__conv_batchnorm/sanitized.onnx"
check "the plan runs" run_graft 0 run "$out/testdata__patterns__conv_batchnorm/model.plan"
check "report.json has the timing" python3 -c "
import json; t = json.load(open('$out/report.json'))['timing']
assert t['wall_s'] > 0 and t['conversion_s'] > 0 and t['worker_s'] >= t['conversion_s'] and 'driver_overhead' in t and 'total_overhead' in t, t
assert t['converted_now'] == 1121 and t['resumed'] == 0, t"
check "report.md has a row per model" equals "$(grep -c '^| \(testdata\|conformance\)/' "$out/report.md")" 1121

# --- --resume: everything done with these settings is skipped ------------------------------
check "zoo --resume" run_graft 0 zoo "$zoo_in" -o "$out" --jobs 2 --timeout 15 --memory-limit 2048 --plugins "$faults" \
  --resume --json
cp "$tmp/out" "$tmp/resume.json"
check "--resume converts nothing" equals "$(json "$tmp/resume.json" "r['timing']['converted_now'], r['timing']['resumed']")" "(0, 1121)"
check "--resume keeps the counts" equals "$(json "$tmp/resume.json" "r['counts']")" "$(json "$out/report.json" "r['counts']")"
check "--resume is fast" python3 -c "
import json; w = json.load(open('$tmp/resume.json'))['timing']['wall_s']
assert w < 5 and w < $first_s / 3, (w, $first_s)"
# A time limit is not part of the key, but a model that hit it is tried again under a larger one.
mkdir -p "$tmp/hang_in" && cp testdata/zoo/hang.onnx testdata/models/add_identity.onnx "$tmp/hang_in/"
check "hang, 1 s" run_graft 0 zoo "$tmp/hang_in" -o "$tmp/hang_out" --plugins "$faults" --timeout 1 --json
check "hang, 1 s: timed out" equals "$(json "$tmp/out" "r['counts']['timed_out'], r['counts']['converted']")" "(1, 1)"
check "hang, --resume, 1 s" run_graft 0 zoo "$tmp/hang_in" -o "$tmp/hang_out" --plugins "$faults" --timeout 1 --resume --json
check "hang, --resume, 1 s: nothing again" equals "$(json "$tmp/out" "r['timing']['converted_now']")" 0
check "hang, --resume, 2 s" run_graft 0 zoo "$tmp/hang_in" -o "$tmp/hang_out" --plugins "$faults" --timeout 2 --resume --json
check "hang, --resume, 2 s: the hang again" equals "$(json "$tmp/out" "r['timing']['converted_now'], r['counts']['timed_out']")" "(1, 1)"
# Other settings are not the same settings: a plugin mapping changes the key.
check "hang, --resume, other settings" run_graft 0 zoo "$tmp/hang_in" -o "$tmp/hang_out" --plugins "$faults" --timeout 1 \
  --resume --plugin-map DeformConv=graft::DeformConv2d --json
check "hang, --resume, other settings: both again" equals "$(json "$tmp/out" "r['timing']['converted_now']")" 2

# --- without the plugin library the two fault models need a plugin ------------------------
check "zoo without plugins" run_graft 0 zoo testdata/zoo -o "$tmp/noplug" --json
check "the fault ops need a plugin" equals "$(json "$tmp/out" "sorted(c['key'] for c in r['causes'] if c['kind']=='needs_plugin')")" \
  "['acme::Crash', 'acme::Hang']"

# --- --input-shapes: the real model's image size, which dims of 1 do not fit ---------------
check "zoo --input-shapes" run_graft 0 zoo testdata/real -o "$tmp/shapes" --input-shapes x:1x3x48x192,not_an_input:7 --json
check "--input-shapes: converted" equals "$(json "$tmp/out" "r['counts']['converted_after_fixes'], r['total']")" "(1, 1)"

# --- a new process for every model: the same results ---------------------------------------
check "--models-per-process 1" run_graft 0 zoo testdata -o "$tmp/fresh" --jobs 2 --timeout 15 --memory-limit 2048 \
  --plugins "$faults" --models-per-process 1 --filter 'zoo/|patterns/c|models/' --json
check "--models-per-process 1: a process per model" equals "$(json "$tmp/out" "r['timing']['processes'] == r['total']")" True
check "--models-per-process 1: same statuses" python3 -c "
import json
a = {m['model']: m['status'] for m in json.load(open('$out/report.json'))['models']}
b = json.load(open('$tmp/fresh/report.json'))['models']
bad = [(m['model'], m['status'], a['testdata/' + m['model']]) for m in b if a['testdata/' + m['model']] != m['status']]
assert not bad and len(b) > 10, bad"
# A crash after other models in the same process is tried again on its own.
check "crash after another model" run_graft 0 zoo testdata -o "$tmp/retry" --jobs 1 --plugins "$faults" \
  --filter 'zoo/crash|models/add_identity' --json
check "crash after another model: two processes" equals "$(json "$tmp/out" "r['timing']['processes'], r['counts']['crashed'], r['counts']['converted']")" "(2, 1, 1)"
check "crash after another model: said in the log" contains "$tmp/retry/zoo__crash/log.txt" "also after other models in another process"

# --- Ctrl-C: the workers go, the reports hold what was done --------------------------------
timeout --preserve-status -s INT 3 "$graft" zoo "$tmp/hang_in" -o "$tmp/int_out" --plugins "$faults" --timeout 60 \
  --jobs 1 >"$tmp/out" 2>"$tmp/err"
check "interrupted: exit 130" equals "$?" 130
check "interrupted: report says so" equals "$(json "$tmp/int_out/report.json" "r['zoo']['interrupted'], r['total']")" "(True, 1)"
sleep 0.5
check "interrupted: no worker left" test -z "$(pgrep -f -- "$tmp/int_out" || true)"

# --- the HTML report in headless Chromium ---------------------------------------------------
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$chromium_bin" ]]; then
  echo "SKIPPED: the HTML checks (no chromium; scripts/install-deps.sh installs Debian's chromium)"
else
  chrome() { timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --user-data-dir="$tmp/chromium" "$@" 2>>"$tmp/chromium.log"; }
  chrome --screenshot="$tmp/report.png" --window-size=1400,900 "file://$out/report.html" >/dev/null
  check "screenshot taken" test -s "$tmp/report.png"
  check "screenshot is 1400x900 and not blank" python3 - "$tmp/report.png" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1400, 900), (w, h)
# Decompress the image data and count the distinct bytes: a blank page has almost none.
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
assert len(set(zlib.decompress(idat))) > 50
EOF
  chrome --dump-dom "file://$out/report.html" >"$tmp/dom.html"
  check "the table has a row per model" equals "$(grep -o '<tr class="model"' "$tmp/dom.html" | wc -l)" 1121
  check "the crash's row says crashed" python3 -c "
import re; d = open('$tmp/dom.html').read()
row = re.search(r'<tr class=\"model\" data-status=\"([a-z_]+)\"><td[^>]*><a [^>]*>testdata/zoo/crash.onnx<', d)
assert row and row.group(1) == 'crashed'"
  check "the page shows the status counts" contains "$tmp/dom.html" 'data-status="timed_out">timed_out 1<'
  # The script sorts: by latency, slowest first, as the URL asks.
  chrome --dump-dom "file://$out/report.html#sort=latency_ms:desc" >"$tmp/dom_sorted.html"
  check "sorted by latency" python3 -c "
import json, re
d = open('$tmp/dom_sorted.html').read()
assert 'data-sorted=\"latency_ms:desc\"' in d
first = re.search(r'<tr class=\"model\"[^>]*><td[^>]*><a [^>]*>([^<]+)<', d).group(1)
r = json.load(open('$out/report.json'))
slowest = max((m for m in r['models'] if m['latency_runs']), key=lambda m: m['latency_ms'])
assert first.replace('&amp;', '&') == slowest['model'], (first, slowest['model'])"
fi

echo "zoo_test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
