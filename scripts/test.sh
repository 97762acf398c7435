#!/usr/bin/env bash
# The project's test command (README): formatting, every test of the workspace in release mode
# (numeric tests on flex, ndarray and wgpu), and lints. Needs MNIST in data/mnist
# (`cargo xtask fetch-mnist`) and Python 3 with venv; installs the TensorBoard reader into
# target/py-venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/py-venv
if ! "$venv/bin/python" -c "import tensorboard" >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements.txt
fi
export SNN_PYTHON="$PWD/$venv/bin/python"
# Mesa's Vulkan loader (wgpu tests through lavapipe) wants a private runtime dir; CI has none.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  export XDG_RUNTIME_DIR
fi

cargo fmt --all -- --check
cargo test --release --workspace
cargo clippy --release --workspace --all-targets -- -D warnings
