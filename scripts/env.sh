# Sourced by every script: the project's tools first on PATH, and no tool phoning home.
# shellcheck shell=bash
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
export SCARF_ANALYTICS=false          # Prism/Spectral's install-time analytics
export REDOCLY_TELEMETRY=off
export NO_UPDATE_NOTIFIER=1
# Bytecode is left as the environment has it: written to __pycache__/ (git-ignored) unless
# PYTHONDONTWRITEBYTECODE is set, so the test workers and child Pythons reuse it and pytest caches its
# rewritten test modules (collection 3.5 s instead of 8 s). The installed packages are compiled by make
# install either way.
# The one pointer to the spec, for scripts and Python alike (hidream_contract/spec.py holds it).
SPEC=$(python -m hidream_contract.spec path)
export SPEC
