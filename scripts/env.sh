# Sourced by every script: the project's tools first on PATH, and no tool phoning home.
# shellcheck shell=bash
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
export SCARF_ANALYTICS=false          # Prism/Spectral's install-time analytics
export REDOCLY_TELEMETRY=off
export NO_UPDATE_NOTIFIER=1
export PYTHONDONTWRITEBYTECODE=1
