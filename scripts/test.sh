#!/usr/bin/env bash
# The project's test command (README): formatting, every test of the workspace in release mode
# (numeric tests on flex, ndarray and wgpu), and clippy's lints with warnings denied. Needs MNIST
# in data/mnist (`cargo xtask fetch-mnist`) or in $MNIST_DIR (raw or .gz), Python 3 with venv,
# and the clippy component; installs the Python readers the tests check our files with (TensorBoard,
# NIR, safetensors) into target/py-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

# The venv is remade when scripts/requirements.txt changes (its hash is kept beside it).
venv=target/py-venv
wanted=$(sha256sum scripts/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$venv/requirements.sha256" 2>/dev/null)" != "$wanted" ] ||
  ! "$venv/bin/python" -c "import tensorboard, nir, safetensors" >/dev/null 2>&1; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements.txt
  echo "$wanted" >"$venv/requirements.sha256"
fi
export SNN_PYTHON="$PWD/$venv/bin/python"
# Mesa's Vulkan loader (wgpu tests through lavapipe) wants a private runtime dir; CI has none.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_RUNTIME_DIR
fi

cargo fmt --all -- --check

# Lints ride along with the test build: cargo runs the workspace's own crates (lib, bins, tests,
# examples: what `cargo clippy --all-targets` covers) through clippy-driver, which lints them with
# warnings denied and compiles them as rustc would. A separate `cargo clippy` would type-check
# all of Burn, wgpu and CubeCL a second time (about 4 minutes on 2 cores); dependencies are not
# linted either way.
clippy_driver=$(command -v clippy-driver || true)
if [ -z "$clippy_driver" ]; then
  echo "scripts/test.sh: clippy-driver not found; install it with \`rustup component add clippy\`" >&2
  exit 1
fi
RUSTC_WORKSPACE_WRAPPER="$clippy_driver" \
  CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" \
  cargo test --release --workspace --no-fail-fast
