#!/usr/bin/env bash
# graft zoo's own cost and its scaling with --jobs (docs/benchmarks.md, "graft zoo").
#
#   bash bench/zoo_bench.sh [REPEATS]       (default 3; builds //tools:graft first)
#
# Sets, each converted REPEATS times per setting, interleaved, into fresh output folders
# under one scratch folder (removed at the end; nothing is deleted between runs, so ext4's
# inode allocation does not pay for a just-deleted tree):
#   conformance  the 1072 ONNX conformance cases (/usr/share/libonnx-testdata/data)
#   real         the two real models of ../shared/models, 16 copies each (32 models,
#                --input-shapes for their dynamic dims)
# Settings: --jobs 1, --jobs 2, and --jobs 1 --models-per-process 1 (a new process for every
# model). Prints one line per run and the medians: wall time, the conversions' own time
# (sum over models), the workers' time per model (conversion + the model's folder, log and
# result.json), and the driver's overhead = (wall * jobs - sum of worker time) / sum of
# worker time, and = (wall * jobs - conversions) / conversions.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${1:-3}"
bazel build //tools:graft >/dev/null 2>&1
graft=bazel-bin/tools/graft
scratch=$(mktemp -d /tmp/graft_zoo_bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

mkdir -p "$scratch/real"
for i in $(seq -w 1 16); do
  cp ../shared/models/ch_ppocr_mobile_v2.0_cls_infer.onnx "$scratch/real/ppocr_$i.onnx"
  cp ../shared/models/silero_vad_16k_op15.onnx "$scratch/real/silero_$i.onnx"
done
shapes=x:1x3x48x192,input:1x512

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %-22s %8s %8s %8s %10s %10s\n' set setting wall_s conv_s worker_s "ovh/worker" "ovh/conv"
results="$scratch/results.txt"
: >"$results"
n=0
for r in $(seq "$repeats"); do
  for set in conformance real; do
    for setting in "--jobs 1" "--jobs 2" "--jobs 1 --models-per-process 1"; do
      n=$((n + 1))
      dir=/usr/share/libonnx-testdata/data
      extra=()
      [[ $set == real ]] && dir="$scratch/real" && extra=(--input-shapes "$shapes")
      # shellcheck disable=SC2086
      "$graft" zoo "$dir" -o "$scratch/out$n" $setting -q --json "${extra[@]}" >"$scratch/run.json"
      python3 - "$scratch/run.json" "$set" "$setting" >>"$results" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t, jobs = r["timing"], r["zoo"]["jobs"]
ok = r["ok"]
print(sys.argv[2], sys.argv[3].replace(" ", "_"), f"{t['wall_s']:.3f} {t['conversion_s']:.3f} {t['worker_s']:.3f}",
      f"{(t['wall_s'] * jobs - t['worker_s']) / t['worker_s'] * 100:.1f}",
      f"{(t['wall_s'] * jobs - t['conversion_s']) / t['conversion_s'] * 100:.1f}", ok, r["total"])
EOF
      tail -1 "$results" | awk '{printf "%-12s %-22s %8s %8s %8s %9s%% %9s%%  (%s of %s converted)\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}'
    done
  done
done
echo "medians:"
python3 - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault((f[0], f[1]), []).append([float(x) for x in f[2:7]])
for (s, setting), runs in rows.items():
    med = [statistics.median(col) for col in zip(*runs)]
    print(f"{s:<12} {setting:<22} wall {med[0]:.3f} s  conversions {med[1]:.3f} s  workers {med[2]:.3f} s  "
          f"overhead {med[3]:.1f}% of worker time, {med[4]:.1f}% of conversion time")
for s in ("conformance", "real"):
    one, two = rows.get((s, "--jobs_1")), rows.get((s, "--jobs_2"))
    if one and two:
        print(f"{s}: --jobs 2 is {statistics.median(r[0] for r in one) / statistics.median(r[0] for r in two):.2f}x "
              "as fast as --jobs 1 (wall)")
EOF
