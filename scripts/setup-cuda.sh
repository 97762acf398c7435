#!/usr/bin/env bash
# Makes Burn's CUDA backend build offline (no root, idempotent):
#   scripts/setup-cuda.sh && cargo build --release --features snn-train/cuda --bin snn-train
#
# Burn 0.22.1's `cuda` feature pulls cubecl-cuda → cubecl-llvm, whose build dependency
# tracel-llvm-bundler downloads an LLVM 23 bundle from GitHub unless
# ${XDG_DATA_HOME:-~/.local/share}/tracel/tracel-llvm-23.1.0-4/ already holds the marker
# `.tracel-llvm-installed`. PyPI's `mlc-llvm-static` ships a static LLVM 23 SDK with the NVPTX target,
# reachable through PyPI alone; this script installs it into target/llvm-venv and points the
# bundler's directory at it (its `bin/llvm-config` is a stand-alone Python 3 script).
# Running it again changes nothing (the link is only replaced when it points elsewhere), so
# cargo's fingerprints of the LLVM crates stay valid.
# Details and the measured build: ../shared/notes/cuda-offline.md, docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

llvm_pkg='mlc-llvm-static[all]==23.1.1.post0'
bundle=tracel-llvm-23.1.0-4 # the bundle cubecl-llvm 0.11.3 asks for (Cargo.lock: tracel-llvm-bundler)
venv=target/llvm-venv
dest="${XDG_DATA_HOME:-$HOME/.local/share}/tracel/$bundle"

if ! "$venv/bin/python" -c "import mlc_llvm_static" >/dev/null 2>&1; then
  echo "setup-cuda: installing $llvm_pkg into $venv (about 90 MB from PyPI)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$llvm_pkg"
fi
sdk=$("$venv/bin/python" -m mlc_llvm_static.config --prefix)
if [ ! -x "$sdk/bin/llvm-config" ]; then
  echo "setup-cuda: $llvm_pkg installed no bin/llvm-config under $sdk" >&2
  exit 1
fi

# Point the bundler's directory at the SDK (replacing a link to elsewhere; a real directory, e.g.
# a downloaded bundle, is left alone unless it lacks the marker).
if { [ -L "$dest" ] && [ "$(readlink "$dest")" != "$sdk" ]; } || [ ! -e "$dest/.tracel-llvm-installed" ]; then
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  ln -s "$sdk" "$dest"
  touch "$dest/.tracel-llvm-installed"
fi

targets=$("$dest/bin/llvm-config" --targets-built)
if ! grep -qw NVPTX <<<"$targets"; then
  echo "setup-cuda: the LLVM at $dest lacks the NVPTX target (has: $targets)" >&2
  exit 1
fi
echo "setup-cuda: LLVM $("$dest/bin/llvm-config" --version) with NVPTX at $dest"
echo "setup-cuda: now build with  cargo build --release --features snn-train/cuda --bin snn-train"
