#!/usr/bin/env bash
# The WebGPU check on a GPU machine that has no Node, no npm and no network (see bench/README.md).
#
#   bash scripts/gpu-check.sh prepare        here: build, bundle (.bundle/), Vulkan loader debs (.gl/),
#                                            archai's PyTorch files (.bundle/archai/); then a dry run
#   bash scripts/gpu-check.sh device         on the GPU machine, via the device tool, with
#                                            carry ['.bundle', '.gl']: correctness check, benchmarks
#                                            (archai-ts on webgpu, archai on PyTorch), JSON lines to $OUT
#   bash scripts/gpu-check.sh device --local here: the same script on the cpu backend and CPU PyTorch,
#                                            tiny steps, nothing unpacked into /, output in .gpu-out/
#   bash scripts/gpu-check.sh report DIR     here: bench/results/<card>-<date>.md from the files of DIR
#
# Knobs (environment): GPU_CHECK_MODELS, GPU_CHECK_BATCH, GPU_CHECK_WARMUP, GPU_CHECK_STEPS,
# GPU_CHECK_BACKEND, GPU_CHECK_BUDGET_S (device part: stop starting runs after this many seconds).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ARCHAI_GIT="${ARCHAI_GIT:-/work/.mirror/microsoft+archai/repo}"
ARCHAI_PKG=archai/supergraph/models/shakeshake
GL_PACKAGES=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

log() { printf '[gpu-check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

find_torch_python() {
  for py in "${TORCH_PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$py" ] && command -v "$py" >/dev/null && "$py" -c 'import torch' 2>/dev/null && { echo "$py"; return; }
  done
  return 1
}

prepare() {
  log "build"
  npm run build >/dev/null
  log "bundle (traces the runs it needs; a minute or two)"
  node scripts/gpu/bundle.mjs --out .bundle

  log "archai's PyTorch Shake-Shake files from $ARCHAI_GIT (git-ignored, never committed)"
  rm -rf .bundle/archai
  mkdir -p ".bundle/archai/$ARCHAI_PKG"
  for f in shakeshake.py shake_resnet.py shake_resnext.py; do
    git --git-dir="$ARCHAI_GIT" show "HEAD:$ARCHAI_PKG/$f" >".bundle/archai/$ARCHAI_PKG/$f"
  done
  # Empty package markers of our own: archai's __init__ files import the whole library.
  for d in archai archai/supergraph archai/supergraph/models "$ARCHAI_PKG"; do : >".bundle/archai/$d/__init__.py"; done
  git --git-dir="$ARCHAI_GIT" rev-parse HEAD >.bundle/archai/REVISION

  log "Vulkan loader and GL vendor-neutral libraries (amd64 .debs) into .gl/"
  mkdir -p .gl /tmp/amd64/partial
  local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
    apt-get "${o[@]}" update -qq
    (cd .gl && apt-get "${o[@]}" download "${GL_PACKAGES[@]}")
  fi

  local total
  total=$(du -cb .bundle .gl | tail -1 | cut -f1)
  log "carry size: $(du -sh .bundle | cut -f1) .bundle + $(du -sh .gl | cut -f1) .gl = $((total / 1048576)) MiB (limit 64)"
  if [ "$total" -gt $((62 * 1048576)) ]; then log "too big to carry"; exit 1; fi

  verify_bundle

  log "dry run of the device script (cpu backend, CPU PyTorch, tiny steps)"
  device --local
}

# The bundle on its own: unpacked elsewhere, its node, an empty environment (nothing of this
# checkout's node_modules can be found from there).
verify_bundle() {
  local dir
  dir="$(mktemp -d /tmp/archai-verify.XXXXXX)"
  tar -C "$dir" -xJf .bundle/app.tar.xz
  for backend in cpu wasm webgpu; do
    log "bundle alone: bench --backend $backend"
    (cd "$dir" && env -i PATH=/usr/bin:/bin HOME="$dir" bin/node app/dist/cli/main.js bench --model shake_resnet8_2x8d \
      --batch 2 --warmup 1 --steps 1 --image-size 16 --backend "$backend" --json 2>&1 | grep -v '^Warning: max' | cut -c1-220)
  done
  rm -rf "$dir"
}

# Runs a command with a time limit, logging and never failing the script.
run_step() {
  local limit=$1 name=$2
  shift 2
  local now=$(( $(date +%s) - START ))
  if [ "$now" -gt "$BUDGET" ]; then
    log "skip $name: ${now}s spent of the ${BUDGET}s budget"
    echo "{\"skipped\":\"$name\",\"reason\":\"time budget\"}" >>"$OUTDIR/bench.jsonl"
    return 0
  fi
  log "$name (limit ${limit}s)"
  local rc=0
  timeout --kill-after=10 "$limit" "$@" || rc=$?
  [ "$rc" -eq 0 ] || { log "$name: exit $rc"; echo "{\"failed\":\"$name\",\"exit\":$rc}" >>"$OUTDIR/bench.jsonl"; }
  return 0
}

device() {
  local local_mode=0
  [ "${1:-}" = "--local" ] && local_mode=1
  START=$(date +%s)
  if [ "$local_mode" = 1 ]; then
    OUTDIR="$ROOT/.gpu-out"
    rm -rf "$OUTDIR"
    BACKEND="${GPU_CHECK_BACKEND:-cpu}"
    MODELS="${GPU_CHECK_MODELS:-shake_resnet8_2x8d}"
    BATCH="${GPU_CHECK_BATCH:-2}"
    WARMUP="${GPU_CHECK_WARMUP:-1}"
    STEPS="${GPU_CHECK_STEPS:-1}"
    BUDGET="${GPU_CHECK_BUDGET_S:-900}"
    CHECK_ARGS=(--backend "$BACKEND" --reference cpu --quick)
  else
    OUTDIR="${OUT:?device mode writes into \$OUT (the device tool sets it); use --local here}"
    BACKEND="${GPU_CHECK_BACKEND:-webgpu}"
    MODELS="${GPU_CHECK_MODELS:-shake_resnet26_2x32d shake_resnet26_2x96d}"
    BATCH="${GPU_CHECK_BATCH:-128}"
    WARMUP="${GPU_CHECK_WARMUP:-3}"
    STEPS="${GPU_CHECK_STEPS:-10}"
    BUDGET="${GPU_CHECK_BUDGET_S:-420}"
    CHECK_ARGS=(--backend "$BACKEND" --reference wasm)
  fi
  mkdir -p "$OUTDIR"
  exec > >(tee -a "$OUTDIR/log.txt") 2>&1

  [ -f .bundle/app.tar.xz ] || { log "no .bundle/app.tar.xz: run 'bash scripts/gpu-check.sh prepare' here and carry .bundle"; exit 1; }
  local app_root
  app_root="$(mktemp -d /tmp/archai-gpu.XXXXXX)"
  log "unpack the bundle into $app_root"
  if command -v xz >/dev/null; then
    tar -C "$app_root" -xJf .bundle/app.tar.xz
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .bundle/app.tar.xz "$app_root"
  fi
  local NODE="$app_root/bin/node" APP="$app_root/app"

  if [ "$local_mode" = 0 ]; then
    if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
      log "Vulkan loader: dpkg -x the carried .debs into /"
      for f in .gl/*.deb; do dpkg -x "$f" /; done
      ldconfig
    fi
    local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
    if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"; fi
  fi

  {
    echo "{"
    echo "\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "\"local\": $local_mode,"
    echo "\"host_cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//;s/"//g')\","
    echo "\"cpus\": $(nproc),"
    echo "\"gpu\": \"$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 | sed 's/"//g')\","
    echo "\"vk_driver_files\": \"${VK_DRIVER_FILES:-}\","
    echo "\"node\": \"$("$NODE" --version)\","
    echo "\"bundle\": $(cat "$APP/bundle-manifest.json" | "$NODE" -e 'const m=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(JSON.stringify({commit:m.commit,made:m.made}))'),"
    echo "\"archai_revision\": \"$(cat .bundle/archai/REVISION 2>/dev/null || echo unknown)\","
    echo "\"models\": \"$MODELS\", \"batch\": $BATCH, \"warmup\": $WARMUP, \"steps\": $STEPS, \"backend\": \"$BACKEND\""
    echo "}"
  } >"$OUTDIR/env.json"
  cat "$OUTDIR/env.json"

  run_step 150 "correctness check ($BACKEND)" \
    "$NODE" scripts/gpu/webgpu-check.mjs --app "$APP" "${CHECK_ARGS[@]}" >"$OUTDIR/check.jsonl"
  cat "$OUTDIR/check.jsonl" || true

  : >>"$OUTDIR/bench.jsonl"
  for model in $MODELS; do
    for mode in train eval; do
      local extra=()
      [ "$mode" = train ] && extra=(--profile)
      run_step 120 "archai-ts bench $model $mode b$BATCH on $BACKEND" \
        "$NODE" "$APP/dist/cli/main.js" bench --backend "$BACKEND" --model "$model" --mode "$mode" \
        --batch "$BATCH" --warmup "$WARMUP" --steps "$STEPS" --json "${extra[@]}" >>"$OUTDIR/bench.jsonl"
    done
  done

  local py
  if py="$(find_torch_python)"; then
    local torch_models=() device_flag=()
    for model in $MODELS; do torch_models+=("$model"); done
    [ "$local_mode" = 1 ] && device_flag=(--device cpu)
    run_step 150 "archai PyTorch bench (fp32) with $py" "$py" bench/torch_bench.py --archai .bundle/archai \
      --models "${torch_models[@]}" --batch "$BATCH" --warmup "$WARMUP" --steps "$STEPS" "${device_flag[@]}" >>"$OUTDIR/bench.jsonl"
    if [ "$local_mode" = 0 ]; then
      run_step 90 "archai PyTorch bench (TF32, PyTorch's default for convs)" "$py" bench/torch_bench.py \
        --archai .bundle/archai --models "${torch_models[@]}" --batch "$BATCH" --warmup "$WARMUP" --steps "$STEPS" \
        --tf32 >>"$OUTDIR/bench.jsonl"
    fi
  else
    log "no python3 with torch: PyTorch bench skipped"
    echo '{"skipped":"pytorch","reason":"no python3 with torch"}' >>"$OUTDIR/bench.jsonl"
  fi

  # Last, as time allows: training with the opt-in im2col + split-K filter gradient.
  if [ "$BACKEND" = webgpu ]; then
    for model in $MODELS; do
      run_step 100 "archai-ts bench $model train b$BATCH on $BACKEND, im2col filter gradient" \
        env ARCHAI_TS_WEBGPU_FILTER_GRAD=im2col "$NODE" "$APP/dist/cli/main.js" bench --backend "$BACKEND" \
        --model "$model" --mode train --batch "$BATCH" --warmup "$WARMUP" --steps "$STEPS" --json >>"$OUTDIR/bench.jsonl"
    done
  fi

  rm -rf "$app_root"
  log "done in $(( $(date +%s) - START ))s; files in $OUTDIR: $(ls "$OUTDIR" | tr '\n' ' ')"
}

case "${1:-}" in
  prepare) prepare ;;
  verify) verify_bundle ;;
  device) shift; device "$@" ;;
  report)
    [ -n "${2:-}" ] || { echo "usage: bash scripts/gpu-check.sh report DIR (the folder the device run's files were fetched to)" >&2; exit 2; }
    node scripts/gpu/report.mjs "$2" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
