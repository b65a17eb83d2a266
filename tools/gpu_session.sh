#!/bin/bash
# Copyright 2026 The Nondeep Explorer authors
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One call's worth of GPU measurements on a lent machine that has an NVIDIA driver and
# PyTorch but none of our build dependencies (issue 18).
#
#   tools/gpu_session.sh prepare   # here, after building: .gpu/ (the CLI and two test
#                                  # programs bundled, the Fashion-MNIST test set) and .gl/
#                                  # (the Vulkan loader and libglvnd, Debian packages)
#   tools/gpu_session.sh run       # there, in the repository root, with OUT set; carry
#                                  # .gpu and .gl. About 6 minutes on an H200.
#
# `run` checks the backend table and the float16 cooperative-matrix kernel (its self-test, as
# `devices` and `matmul` report it, and test /vulkan/coopmat) on the GPU, evaluates the
# shipped models with --fp16 (the kernel's accuracy figure), sweeps whole-model GEMM tiles
# (ND_VK_TILE) and Winograd off (ND_VK_WINOGRAD=0) over the fused models (per-op times in
# sweep.tar.gz, summarised by tools/gpu_sweep_report.py), times ParNet with the SE gates and
# BN folds and the grouped passes on and off (ND_VK_SE=0, ND_VK_GROUPED=0; alternating),
# tunes each fused model's kernels (`bench --tune`; vulkan-kernels.ini) and times rules
# against tuned (ND_VK_TUNE=0; alternating), and runs tools/bench_gpu.py (both forms, float16
# storage too) into $OUT/BENCHMARKS-gpu.{md,json}. In that order of worth: checks, eval,
# tuning, bench_gpu, then the A/Bs and the sweep, so a call cut short keeps the table.
set -u
cd "$(dirname "$0")/.."

if [ "${1:-}" = prepare ]; then
  set -e
  mkdir -p .gpu .gl
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >> .git/info/exclude
  tools/bundle.sh .gpu/nd.tar.xz build/app/cli/nondeep-cli build/tests/test-backend-ops \
    build/tests/test-vulkan-plan
  mkdir -p .gpu/fmnist
  cp /usr/share/datasets/fashion-mnist/t10k-* .gpu/fmnist/
  (cd .gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  exit 0
fi
[ "${1:-}" = run ] || { echo "usage: $0 prepare|run" >&2; exit 2; }
: "${OUT:?OUT must name the folder for the results}"
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
say () { echo "== $* ($(( $(date +%s) - t0 )) s)"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
mkdir -p /tmp/nd /tmp/sw /tmp/ab
tar xf .gpu/nd.tar.xz -C /tmp/nd
export LD_LIBRARY_PATH=/tmp/nd/lib XDG_CACHE_HOME=/tmp/cache
for f in /usr/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$f" ] && { export VK_DRIVER_FILES=$f; break; }
done
B=/tmp/nd/nondeep-cli
# bench_json FILE LABEL TIMEOUT [VAR=VALUE ...] -- ARGS: one fused Vulkan `bench --json ARGS`
# into FILE, and a line: LABEL, median, op sum, dispatches and barriers, how kernels were chosen
bench_json () {
  local f=$1 label=$2 limit=$3 envs=()
  shift 3
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env ${envs[@]+"${envs[@]}"} timeout "$limit" $B bench --fused --backend vulkan --json "$@" \
    > "$f" 2> /tmp/sw/err
  python3 - "$f" "$label" 2>/dev/null <<'PY' || { echo "$label failed"; tail -2 /tmp/sw/err; }
import json, sys
d = json.load(open(sys.argv[1]))
tuned = ' (%d tuned in %.1f s)' % (d['tuned_ops'], d['tune_ms'] / 1e3) if d['tune_ms'] else ''
print('%-44s %7.3f ms  op sum %7.3f  %3d dispatches %3d barriers  %s%s' % (
    sys.argv[2], d['median_ms'], d['op_sum_ms'], d['dispatches'], d['barriers'], d['kernels'],
    tuned))
PY
}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
$B devices --json > "$OUT/devices.json" 2>&1
cat "$OUT/devices.json"

say "backend table"
G_TEST_BUILDDIR=/tmp timeout 90 /tmp/nd/test-backend-ops -r /backend-ops/vulkan 2>&1 |
  grep -E "^not ok|ERROR|^1\.\." | head
say "backend table, 128x128x8x8 forced"
ND_VK_TILE=128x128x8x8 G_TEST_BUILDDIR=/tmp timeout 60 /tmp/nd/test-backend-ops \
  -r /backend-ops/vulkan 2>&1 | grep -E "^not ok|ERROR|^1\.\." | head

say "cooperative matrices"
G_TEST_BUILDDIR=/tmp timeout 60 /tmp/nd/test-vulkan-plan -p /vulkan/coopmat -p /vulkan/fp16 2>&1 |
  grep -E "^(not )?ok|ERROR"
say "SE gates (se.comp's last-workgroup product: memory ordering on a real GPU)"
G_TEST_BUILDDIR=/tmp timeout 60 /tmp/nd/test-vulkan-plan -p /vulkan/se-gates \
  -p /vulkan/gated-summand -p /vulkan/streams-barriers -p /vulkan/split-k 2>&1 |
  grep -E "^(not )?ok|ERROR"
for w in parnet-fashion-mnist repvgg-a0-w0.25-fmnist vanillanet-5-w0.125-fmnist; do
  for p in "" --fp16; do
    for f in "" --fused; do
      echo "eval $w ${p:-fp32} ${f:-unfused}: $(timeout 60 $B eval --weights \
        assets/weights/$w.safetensors --backend vulkan $p $f --data-dir .gpu/fmnist --json 2>&1 |
        python3 -c "import json, sys; d = json.load(sys.stdin); print(d['accuracy'], d['n'])" 2>&1)"
    done
  done
done

say "kernel tuning: bench --tune once per fused model (the verdicts stay in /tmp/cache: bench_gpu's fused rows use them)"
mkdir -p /tmp/tune
for mp in parnet-s parnet-m repvgg-b1 vanillanet-9 resnet-50 "parnet-s --fp16"; do
  bench_json /tmp/tune/${mp// /}.json "$mp --tune" 120 -- --model $mp --tune --iters 20 \
    --warmup 5
done
grep -v '^\[\|^$' /tmp/cache/nondeep/vulkan-kernels.ini | grep -v '=rules;' | head -40
cp /tmp/cache/nondeep/vulkan-kernels.ini "$OUT/" 2>/dev/null

say "bench_gpu (fused rows on the tuned verdicts above; the headline table)"
PYTHONUNBUFFERED=1 timeout 300 python3 tools/bench_gpu.py --cli $B --iters 50 --warmup 10 --fp16 \
  --out "$OUT"
say "rules against tuned kernels, alternating"
for r in 1 2; do
  for mp in parnet-s parnet-m repvgg-b1 vanillanet-9 resnet-50 "parnet-s --fp16"; do
    for cfg in ND_VK_TUNE=0 ND_AUTO=1; do
      bench_json /tmp/tune/${mp// /}.$r.$cfg.json "$mp $cfg" 40 $cfg -- --model $mp \
        --iters 50 --warmup 10
    done
  done
done
tar czf "$OUT/tune.tar.gz" -C /tmp tune

say "schedule A/B (SE gates and BN folds, grouped passes: on / off; the fused squeeze's size limit), alternating, on the rules' kernels"
for r in 1 2; do
  for m in parnet-s parnet-m; do
    for cfg in ND_AUTO=1 ND_VK_SE=0 ND_VK_GROUPED=0 "ND_VK_SE=0 ND_VK_GROUPED=0" \
               ND_VK_SE_FUSE_MAX=0 ND_VK_SE_FUSE_MAX=16384 ND_VK_SE_FUSE_MAX=1000000; do
      bench_json /tmp/ab/$m.$r.${cfg// /+}.json "$m $cfg" 40 ND_VK_TUNE=0 $cfg -- --model $m \
        --iters 50 --warmup 10
    done
  done
done
tar czf "$OUT/ab.tar.gz" -C /tmp ab
python3 - <<'PY'
import glob, json, os, statistics
runs = {}
for f in glob.glob('/tmp/ab/*.json'):
    model, _, cfg = os.path.basename(f)[:-5].split('.', 2)
    try:
        d = json.load(open(f))
    except ValueError:
        continue
    runs.setdefault((model, cfg), []).append(d)
for (model, cfg), ds in sorted(runs.items()):
    base = runs.get((model, 'ND_AUTO=1'))
    med = statistics.median(d['median_ms'] for d in ds)
    ref = statistics.median(d['median_ms'] for d in base) if base else med
    print('%-9s %-28s median of %d: %7.3f ms (%.2fx the default)  %d dispatches %d barriers' % (
        model, cfg.replace('+', ' '), len(ds), med, med / ref, ds[0]['dispatches'],
        ds[0]['barriers']))
PY

say "sweep (whole-model forcings against the rules)"
for m in parnet-s repvgg-b1 vanillanet-9 resnet-50; do
  # whole-model forcings (the per-convolution choice is the tuning's, above)
  for cfg in auto ND_VK_TILE=128x128x8x8 ND_VK_TILE=64x64x8x8 ND_VK_WINOGRAD=0; do
    e=$cfg
    [ "$cfg" = auto ] && e=ND_AUTO=1
    bench_json /tmp/sw/$m.$cfg.json "$m $cfg" 40 ND_VK_TUNE=0 "$e" -- --model $m --iters 50 \
      --warmup 10
  done
done
tar czf "$OUT/sweep.tar.gz" -C /tmp sw
python3 tools/gpu_sweep_report.py /tmp/sw

say "done"
