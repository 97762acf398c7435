#!/usr/bin/env bash
# GPU check in one run, for a machine with an NVIDIA GPU (driver + NVRTC, i.e. the CUDA toolkit's
# libnvrtc, which CubeCL uses to compile kernels at run time):
#   1. builds everything with the `cuda` feature;
#   2. runs the kernel-equality tests (fused LIF scan, Poisson kernel, spike op, projection against
#      their reference paths) on wgpu and cuda;
#   3. times the LIF scan alone, fused vs reference loop, on wgpu and cuda (`lif_timing`);
#   4. times the full training step of configs/seed.toml on wgpu and cuda, fused vs unfused
#      (`cargo xtask bench --ablation`);
#   5. trains one epoch of the seed config on cuda and reports its wall time.
# Everything is also written under $OUT (default target/gpu-bench) for docs/performance.md.
#
#   scripts/gpu-bench.sh        # MNIST from data/mnist (or MNIST_FROM=DIR to fetch it from)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-target/gpu-bench}
mkdir -p "$out"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
# cudarc reads the CUDA version from nvcc at build time; without nvcc, name one the driver serves.
if ! command -v nvcc >/dev/null 2>&1; then
    export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-12080}
fi
# Smaller settings for a dry run on a machine without GPU (lavapipe), e.g.
# LIF_SHAPES="100 8 64" BENCH_ARGS="--warmup 1 --repeats 1 --batches 1" EPOCH_ARGS="--epochs 1
# --train-limit 256 --test-limit 64".
IFS=';' read -r -a lif_shapes <<<"${LIF_SHAPES:-100 64 256;1 64 256;100 1000 1000}"
log() { echo "== $* ($(date +%T))" | tee -a "$out/summary.txt"; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt" || true

if [ ! -f data/mnist/train-images-idx3-ubyte ]; then
    log "fetching MNIST"
    cargo xtask fetch-mnist ${MNIST_FROM:+--from "$MNIST_FROM"}
fi

# Burn 0.22.1's CUDA backend (cubecl-cuda → cubecl-llvm "nvptx") downloads an LLVM bundle from
# github.com/tracel-ai/tracel-llvm in a build script; offline that fails unless the bundle is
# already under ~/.local/share/tracel. Then this script goes on with wgpu alone and says so.
log "build (release, features snn-model/cuda,snn-train/cuda)"
if cargo build --release --workspace --all-targets \
    --features snn-model/cuda,snn-train/cuda 2>&1 | tail -5; then
    backends=wgpu,cuda
    test_features=(--features snn-model/cuda,snn-train/cuda)
    bench_features=(--features cuda)
else
    log "CUDA build failed (see above): continuing with wgpu only"
    cargo build --release --workspace --all-targets 2>&1 | tail -3
    backends=wgpu
    test_features=()
    bench_features=()
fi

log "equality tests on $backends"
SNN_TEST_BACKENDS=$backends cargo test --release --workspace "${test_features[@]}" \
    -- lif:: projection:: spike_op:: encoder:: 2>&1 | tee "$out/tests.txt" |
    grep -E "^test |test result" | tee -a "$out/summary.txt"

log "LIF scan alone, fused vs reference loop"
for backend in ${backends//,/ }; do
    for shape in "${lif_shapes[@]}"; do
        # shellcheck disable=SC2086 # the shape is three words on purpose
        target/release/examples/lif_timing "$backend" $shape | tee -a "$out/summary.txt"
    done
done

log "full training step, seed config, on $backends"
cargo xtask bench "${bench_features[@]}" --backends "$backends" --ablation \
    ${BENCH_ARGS:---warmup 5 --repeats 7 --batches 20} | tee "$out/bench.txt" | tee -a "$out/summary.txt"

gpu=${backends##*,}
log "one epoch of the seed config on $gpu"
start=$(date +%s.%N)
target/release/snn-train --backend "$gpu" ${EPOCH_ARGS:---epochs 1} --out "$out/epoch-run" 2>&1 |
    tail -5 | tee -a "$out/summary.txt"
end=$(date +%s.%N)
echo "one_epoch_wall_s=$(awk "BEGIN { print $end - $start }")" | tee -a "$out/summary.txt"
grep -o '"train_images_per_s": *[0-9.]*\|"test_accuracy": *[0-9.]*' \
    "$out/epoch-run/summary.json" | tee -a "$out/summary.txt"
log "done; figures in $out/summary.txt"
