#!/usr/bin/env bash
# Builds test binaries here and bundles them into .gpu/ for the lent GPU machine.
#
#   scripts/gpu_bundle.sh [--with-conformance] [--strip] [--compress] [--no-build] [TARGET...]
#
# TARGET defaults to every cc_test of the repo (bazel query 'kind(cc_test, //...)', so new
# GPU tests are picked up on their own) plus //tools:graft when that target exists.
# Extra Bazel flags go in BAZEL_FLAGS (e.g. BAZEL_FLAGS='--config=asan').
#
# Result, all under .gpu/ (ignored by git), meant for the device tool's carry [".gpu"]:
#   .gpu/bin/<package>/<name>   real copies of the binaries (cp -L; Bazel outputs are links)
#   .gpu/lib/                   the non-system shared libraries they load (libonnx*, ...);
#                               CUDA/cuDNN/driver libraries are NOT copied: the GPU machine
#                               has CUDA 13 and cuDNN 9.14 in its system paths
#   .gpu/tests.txt              the test binaries scripts/gpu_run_tests.sh runs, one a line
#   .gpu/MANIFEST               label -> file, git revision, date
#   .gpu/onnx-testdata/         only with --with-conformance: /usr/share/libonnx-testdata/data
#                               (the GPU machine has no libonnx-testdata)
# GPU_BUNDLE_DIR=.gpu-foo bundles into .gpu-foo/ instead (for work side by side).
# --compress: binaries and libraries as .xz, conformance data as onnx-testdata.tar.xz (a
# fifth of the size; gpu_run_tests.sh unpacks them first).
# Then on the device: run with carry [".gpu"] and command `bash scripts/gpu_run_tests.sh`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
G=${GPU_BUNDLE_DIR:-.gpu}   # the bundle folder, relative to the repo root
GPU_DIR=$ROOT/$G
CARRY_LIMIT=$((64 * 1024 * 1024))      # the device tool's limit on what travels
CONFORMANCE_SRC=/usr/share/libonnx-testdata/data

with_conformance=0
do_strip=0
do_build=1
do_compress=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --with-conformance) with_conformance=1 ;;
    --strip) do_strip=1 ;;
    --no-build) do_build=0 ;;
    --compress) do_compress=1 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gpu_bundle: unknown option $arg (Bazel flags go in BAZEL_FLAGS)" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
read -r -a bazel_flags <<< "${BAZEL_FLAGS:-}"

# Libraries never copied: the GPU machine brings its own driver, CUDA 13 and cuDNN 9.14.
is_gpu_system_lib() {
  case "$1" in
    /usr/local/cuda*|*/libcuda.so*|*/libcudart.so*|*/libcublas*|*/libcudnn*|*/libnv*|\
    */libcufft*|*/libcurand*|*/libcusparse*|*/libcusolver*|*/libnccl*|*/libnpp*) return 0 ;;
  esac
  return 1
}
# System-path libraries the GPU machine (Ubuntu 24.04) lacks: copied although in /usr/lib.
# libprotobuf.so.32 is there (the same 3.21.12), so it is not listed.
# Add more with GPU_BUNDLE_EXTRA_LIBS='libfoo.so* libbar.so*'.
needs_copy_from_system() {
  local base=${1##*/} pat
  for pat in 'libonnx.so*' 'libonnx_proto.so*' ${GPU_BUNDLE_EXTRA_LIBS:-}; do
    # shellcheck disable=SC2254
    case "$base" in $pat) return 0 ;; esac
  done
  return 1
}

# ---- targets ------------------------------------------------------------------------------
if [[ ${#targets[@]} -eq 0 ]]; then
  set +e
  mapfile -t targets < <(bazel query --keep_going "${bazel_flags[@]}" 'kind(cc_test, //...)' 2>/tmp/gpu_bundle_query.err)
  rc=$?
  set -e
  # 3: partial result (a broken BUILD file elsewhere); the tests found are still bundled.
  if [[ $rc -ne 0 && $rc -ne 3 ]]; then
    cat /tmp/gpu_bundle_query.err >&2; echo "gpu_bundle: bazel query failed ($rc)" >&2; exit 1
  fi
  [[ $rc -eq 3 ]] && echo "gpu_bundle: WARNING: bazel query saw errors; bundling the ${#targets[@]} cc_test targets it found" >&2
  if bazel query "${bazel_flags[@]}" //tools:graft >/dev/null 2>&1; then targets+=(//tools:graft); fi
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "gpu_bundle: no targets" >&2; exit 1; }
# Patterns (//kernels/cuda:all, //foo/...) expand to the executables among them.
expr=$(printf ' + %s' "${targets[@]}"); expr=${expr# + }
mapfile -t targets < <(bazel query "${bazel_flags[@]}" "kind('(_test|_binary|alias) rule', $expr)" 2>/dev/null)
[[ ${#targets[@]} -gt 0 ]] || { echo "gpu_bundle: no test or binary targets in: $expr" >&2; exit 1; }
echo "gpu_bundle: ${#targets[@]} target(s): ${targets[*]}"

# Which of them are tests (the runner runs only those).
test_set=" $(bazel query "${bazel_flags[@]}" "tests(set(${targets[*]}))" 2>/dev/null | tr '\n' ' ') "

if [[ $do_build -eq 1 ]]; then
  bazel build "${bazel_flags[@]}" "${targets[@]}"
fi

# Executables of the targets, resolved the way Bazel itself does (aliases included).
EXEC_ROOT=$(bazel info "${bazel_flags[@]}" execution_root 2>/dev/null)
mapfile -t exec_paths < <(bazel cquery "${bazel_flags[@]}" "set(${targets[*]})" --output=starlark \
  --starlark:expr='str(target.label) + " " + (target.files_to_run.executable.path if target.files_to_run.executable else "")' 2>/dev/null)

# ---- copy binaries ------------------------------------------------------------------------
rm -rf "${GPU_DIR:?}/bin" "${GPU_DIR:?}/lib" "${GPU_DIR:?}/onnx-testdata" "${GPU_DIR:?}/onnx-testdata.tar.xz" "${GPU_DIR:?}/tests.txt" "${GPU_DIR:?}/MANIFEST"
mkdir -p "$GPU_DIR/bin" "$GPU_DIR/lib"
{
  echo "# made by scripts/gpu_bundle.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (dirty tree)')"
  echo "# BAZEL_FLAGS=${BAZEL_FLAGS:-}"
} > "$GPU_DIR/MANIFEST"
: > "$GPU_DIR/tests.txt"
binaries=()
for line in "${exec_paths[@]}"; do
  label=${line%% *}; rel=${line#* }
  [[ "$label" == @//* ]] && label=${label#@}      # newer Bazel prints main-repo labels as @//
  if [[ -z "$rel" || "$rel" == "$label" ]]; then
    echo "gpu_bundle: WARNING: $label has no executable, skipped" >&2; continue
  fi
  src=$EXEC_ROOT/$rel
  [[ -e "$src" ]] || { echo "gpu_bundle: $label: $src missing (build it first?)" >&2; exit 1; }
  # //pkg/sub:name -> bin/pkg/sub/name ; @repo//pkg:name -> bin/external/repo/pkg/name
  name=${label#@}; name=${name/\/\//\/}; name=${name#/}; name=${name/://}; name=${name#/}
  [[ "$label" == @* ]] && name=external/$name
  dest=bin/$name
  mkdir -p "$GPU_DIR/$(dirname "$dest")"
  cp -L "$src" "$GPU_DIR/$dest"
  chmod u+w "$GPU_DIR/$dest"
  [[ $do_strip -eq 1 ]] && strip --strip-debug "$GPU_DIR/$dest"
  binaries+=("$GPU_DIR/$dest")
  echo "$label $G/$dest" >> "$GPU_DIR/MANIFEST"
  [[ "$test_set" == *" $label "* ]] && echo "$G/$dest" >> "$GPU_DIR/tests.txt"
done
[[ ${#binaries[@]} -gt 0 ]] || { echo "gpu_bundle: nothing bundled" >&2; exit 1; }

# ---- shared libraries ---------------------------------------------------------------------
declare -A assumed=()
for bin in "${binaries[@]}"; do
  while read -r lib; do
    [[ -n "$lib" ]] || continue
    if [[ "$lib" == "NOTFOUND:"* ]]; then
      echo "gpu_bundle: ${bin#"$ROOT"/}: ${lib#NOTFOUND:} not found by ldd here" >&2; exit 1
    fi
    if is_gpu_system_lib "$lib"; then assumed[${lib##*/}]=1; continue; fi
    case "$lib" in
      /lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*)
        if ! needs_copy_from_system "$lib"; then assumed[${lib##*/}]=1; continue; fi ;;
    esac
    if [[ ! -e "$GPU_DIR/lib/${lib##*/}" ]]; then
      cp -L "$lib" "$GPU_DIR/lib/${lib##*/}"
      echo "gpu_bundle: lib ${lib##*/} <- $lib"
    fi
  done < <(ldd "$bin" | awk '/=> not found/ {print "NOTFOUND:" $1; next}
                             /=> \// {print $3; next}
                             /^\s*\// {print $1}')
done
echo "gpu_bundle: left to the GPU machine's system: ${!assumed[*]}"

# ---- conformance data ---------------------------------------------------------------------
tree_bytes() {  # what the device tool sends besides the carry: tracked + untracked-not-ignored
  git -C "$ROOT" ls-files -z -co --exclude-standard | (cd "$ROOT" && du -cb --files0-from=- 2>/dev/null) | tail -1 | cut -f1
}
if [[ $with_conformance -eq 1 ]]; then
  [[ -d "$CONFORMANCE_SRC" ]] || { echo "gpu_bundle: $CONFORMANCE_SRC missing here" >&2; exit 1; }
  need=$(du -sb "$CONFORMANCE_SRC" | cut -f1)
  have=$(( $(du -sb "$GPU_DIR" | cut -f1) + $(tree_bytes) ))
  if (( do_compress == 0 && have + need > CARRY_LIMIT * 95 / 100 )); then
    echo "gpu_bundle: conformance data ($((need >> 20)) MiB) would take the carry past 95% of 64 MiB" \
         "(already $((have >> 20)) MiB); not copied" >&2
    exit 1
  fi
  if [[ $do_compress -eq 1 ]]; then
    tar -C "$(dirname "$CONFORMANCE_SRC")" -cf - "$(basename "$CONFORMANCE_SRC")" | xz -T2 -6 > "$GPU_DIR/onnx-testdata.tar.xz"
    echo "gpu_bundle: conformance data packed to $G/onnx-testdata.tar.xz"
  else
    cp -rL "$CONFORMANCE_SRC" "$GPU_DIR/onnx-testdata"
    echo "gpu_bundle: conformance data copied ($((need >> 20)) MiB) to $G/onnx-testdata"
  fi
fi
if [[ $do_compress -eq 1 ]]; then
  find "$GPU_DIR/bin" "$GPU_DIR/lib" -type f ! -name '*.xz' -print0 | xargs -0 -r xz -T2 -6
  echo "gpu_bundle: binaries and libraries compressed (.xz)"
fi

# ---- summary ------------------------------------------------------------------------------
echo "gpu_bundle: tests: $(wc -l < "$GPU_DIR/tests.txt"), binaries: ${#binaries[@]}, libs: $(find "$GPU_DIR/lib" -type f | wc -l)"
( cd "$ROOT" && find "$G/bin" "$G/lib" -type f -printf '%10s  %p\n' | sort -k2 )
gpu_bytes=$(du -sb "$GPU_DIR" | cut -f1)
tree=$(tree_bytes)
total=$((gpu_bytes + tree))
awk -v g="$gpu_bytes" -v t="$tree" 'BEGIN { m = 1048576;
  printf "gpu_bundle: total size: .gpu %.1f MiB + working tree %.1f MiB = %.1f MiB carried (limit 64 MiB)\n", g/m, t/m, (g+t)/m }'
if (( total > CARRY_LIMIT )); then
  echo "gpu_bundle: ERROR: over the 64 MiB the device tool carries; try --strip or fewer targets" >&2
  exit 1
fi
