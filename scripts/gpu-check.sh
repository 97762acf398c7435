#!/usr/bin/env bash
# One-shot GPU check from a bundle (`cargo xtask gpu-bundle DIR` puts this script beside a
# stripped `snn-train` built with CUDA and wgpu, MNIST and the configs). Needs on the GPU machine
# the NVIDIA driver and NVRTC, the CUDA toolkit's run-time compiler (libnvrtc.so, found under
# $CUDA_PATH, /usr/local/cuda, /opt/cuda or /usr/lib/cuda, or on the library path): no Rust, no
# network.
#
#   DIR/gpu-check.sh [RESULTS_DIR]        # default DIR/results
#
# Steps, each written to RESULTS_DIR whatever the others do, each under its own time limit on a
# GPU machine (so one hung step cannot eat a lease); a dry run (QUICK=1) has no limits, since how
# long lavapipe takes on a busy CPU says nothing about the code:
#   1. self-test: fused LIF scan vs reference loop, Poisson kernel vs host generator (equality),
#      and the LIF scan timed fused vs reference — on every backend in $BACKENDS;
#   2. the full training step of configs/seed.toml (`snn-train bench`: images/s and kernel
#      launches per step), fused and reference LIF, and fused with batches built on the host;
#   3. the Open Neuromorphic benchmark layer: Linear(16384, 16384) → LIF, T = 500, batch 16,
#      forward + backward (`snn-train bench-layer`), fused and reference LIF;
#   4. two training epochs of the seed config through the Learner (and, on two or more CUDA
#      GPUs, the same data-parallel on GPUs 0 and 1: --devices 0,1); the first epoch pays the
#      one-time kernel compilation and autotuning, the second is the steady-state epoch time;
#   5. results.json gathering the figures.
# BACKENDS (default: cuda, plus wgpu when a Vulkan loader is present; the first is the one the
# single-backend steps use). QUICK=1 shrinks every shape: a dry run on a CPU-only machine, e.g.
# BACKENDS=flex QUICK=1 (seconds) or BACKENDS=wgpu QUICK=1 (through lavapipe: minutes, each step
# compiling and autotuning its kernels). Outside a
# bundle, SNN_TRAIN, MNIST_DIR and CONFIGS name the binary, the data and the configs directory
# (snn-train's test `gpu_check` dry-runs this script so, in CI).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
summary=$out/summary.txt
: >"$summary"
log() { echo "== $* ($(date +%T))" | tee -a "$summary"; }
failed=0

# The binary: as built, or xz-compressed in the bundle (unpacked once, beside the results).
configs=${CONFIGS:-$here/configs}
mnist=${MNIST_DIR:-$here/mnist}
bin=${SNN_TRAIN:-$here/snn-train}
if [ ! -x "$bin" ]; then
  bin=$out/snn-train
  if [ ! -x "$bin" ]; then
    if command -v xz >/dev/null 2>&1; then
      xz -dc "$here/snn-train.xz" >"$bin.tmp"
    else
      python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
        "$here/snn-train.xz" "$bin.tmp"
    fi && chmod +x "$bin.tmp" && mv "$bin.tmp" "$bin" || { echo "gpu-check: cannot unpack $here/snn-train.xz" >&2; exit 1; }
  fi
fi

if [ -z "${CUDA_PATH:-}" ]; then
  for d in /usr/local/cuda /usr/local/cuda-* /opt/cuda /usr/lib/cuda; do
    if [ -d "$d/lib64" ] || [ -d "$d/nvvm" ]; then export CUDA_PATH=$d; break; fi
  done
fi
if [ -n "${CUDA_PATH:-}" ] && [ -d "$CUDA_PATH/lib64" ]; then
  export LD_LIBRARY_PATH=$CUDA_PATH/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
if [ -z "${BACKENDS:-}" ]; then
  BACKENDS=cuda
  if ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then BACKENDS=cuda,wgpu; fi
fi
gpu=${BACKENDS%%,*}

if [ "${QUICK:-0}" = 1 ]; then
  bench_args=(--warmup 1 --repeats 1 --batches 1 --steps 10 --batch-size 16)
  layer_args=(--neurons 256 --steps 20 --batch 4 --warmup 0 --repeats 1)
  epoch_args=(--epochs 2 --train-limit 256 --validation 0.25 --test-limit 64 --steps 10)
  selftest_args=(--no-timing)
else
  bench_args=(--warmup 5 --repeats 7 --batches 20)
  layer_args=(--warmup 1 --repeats 5)
  epoch_args=(--epochs 2)
  selftest_args=()
fi

# Runs "$@" under a limit of $1 seconds (none in a dry run), its output to $out/$2.txt and the
# summary.
step() {
  local limit=$1 name=$2
  shift 2
  log "$name"
  if [ "${QUICK:-0}" = 1 ]; then
    "$@" >"$out/$name.txt" 2>"$out/$name.err"
  else
    timeout "$limit" "$@" >"$out/$name.txt" 2>"$out/$name.err"
  fi
  local rc=$?
  grep -v '^$' "$out/$name.txt" | tail -40 | tee -a "$summary"
  if [ $rc -ne 0 ]; then
    failed=$((failed + 1))
    echo "step $name: exit $rc$([ $rc -eq 124 ] && echo " (over ${limit}s)")" | tee -a "$summary"
    tail -5 "$out/$name.err" | tee -a "$summary"
  fi
  return 0
}

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$out/gpu.txt" 2>&1
else
  echo "no nvidia-smi" >"$out/gpu.txt"
fi
log "GPU: $(cat "$out/gpu.txt"); backends $BACKENDS; CUDA_PATH=${CUDA_PATH:-none}; $("$bin" --version)"

for b in ${BACKENDS//,/ }; do
  step 150 "self-test-$b" "$bin" self-test --backend "$b" --json "$out/self-test-$b.json" "${selftest_args[@]}"
done
for b in ${BACKENDS//,/ }; do
  for lif in fused reference; do
    step 120 "bench-$b-$lif" "$bin" bench --backend "$b" --config "$configs/seed.toml" \
      --data "$mnist" --lif "$lif" "${bench_args[@]}"
  done
done
# The same step with batches built on the host (f32 upload per batch): what the device data path
# (data set uploaded once as u8) saves.
step 120 "bench-$gpu-fused-host-data" "$bin" bench --backend "$gpu" --config "$configs/seed.toml" \
  --data "$mnist" --lif fused --data-path host "${bench_args[@]}"
for lif in fused reference; do
  step 120 "bench-layer-$gpu-$lif" "$bin" bench-layer --backend "$gpu" --lif "$lif" "${layer_args[@]}"
done
start=$(date +%s.%N)
step 300 "epoch-$gpu" "$bin" --backend "$gpu" --config "$configs/seed.toml" --data "$mnist" \
  --out "$out/epoch-run" "${epoch_args[@]}"
epoch_s=$(awk "BEGIN { print $(date +%s.%N) - $start }")
# Seconds of training epoch $2 in run directory $1 (its metrics.csv), or null.
epoch_train_s() {
  awk -F, -v e="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i }
    $1 == e && $2 == "train" && c { print $c; found = 1 } END { if (!found) print "null" }' \
    "$1/metrics.csv" 2>/dev/null || echo null
}
first_s=$(epoch_train_s "$out/epoch-run" 1)
second_s=$(epoch_train_s "$out/epoch-run" 2)
echo "two_epochs_wall_s=$epoch_s first_epoch_train_s=$first_s second_epoch_train_s=$second_s" |
  tee -a "$summary"
# Data-parallel (DDP) over two GPUs when the machine has them: the same epoch, for the scaling.
ddp_s=null
gpus=0
if command -v nvidia-smi >/dev/null 2>&1; then
  gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
fi
if [ "$gpu" = cuda ] && [ "${gpus:-0}" -ge 2 ]; then
  start=$(date +%s.%N)
  step 300 "epoch-ddp2" "$bin" --backend cuda --devices 0,1 --config "$configs/seed.toml" \
    --data "$mnist" --out "$out/epoch-ddp2" "${epoch_args[@]}"
  ddp_s=$(epoch_train_s "$out/epoch-ddp2" 2)
  echo "two_gpu_second_epoch_train_s=$ddp_s" | tee -a "$summary"
fi

# results.json: every figure above, machine-readable.
{
  echo "{"
  echo "  \"gpu\": \"$(tr -d '"\n' <"$out/gpu.txt")\","
  echo "  \"backends\": \"$BACKENDS\","
  for f in "$out"/self-test-*.json; do
    [ -f "$f" ] || continue
    b=$(basename "$f" .json)
    echo "  \"${b//-/_}\": $(cat "$f"),"
  done
  for f in "$out"/bench-*.txt; do
    b=$(basename "$f" .txt)
    line=$(grep -E '^bench' "$f" | tail -1)
    echo "  \"${b//-/_}\": \"$line\","
  done
  if [ -f "$out/epoch-run/summary.json" ]; then
    echo "  \"epoch_summary\": $(cat "$out/epoch-run/summary.json"),"
  fi
  echo "  \"two_epochs_wall_s\": $epoch_s,"
  echo "  \"first_epoch_train_s\": $first_s,"
  echo "  \"second_epoch_train_s\": $second_s,"
  echo "  \"two_gpu_second_epoch_train_s\": $ddp_s,"
  echo "  \"failed_steps\": $failed"
  echo "}"
} >"$out/results.json"
log "done: $failed failed step(s); results in $out/results.json"
[ "$failed" -eq 0 ]
