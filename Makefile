# One target per job; each calls a script in scripts/, where the work is. `make` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.PHONY: help install lock dist release generate check-generated lint unit coverage contract test mock proxy contract-live compat interop docs docs-browser bench sim conformance workflow clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Install the Python venv and the pinned Node tools (idempotent)
	@scripts/install

lock: ## Rewrite uv.lock after changing a dependency in pyproject.toml, then install .venv from it
	@scripts/lock

dist: install ## Build the sdist and wheel into dist/ and smoke-test them in a fresh venv (CLI, README example)
	@scripts/dist

release: install ## TAG=vX.Y.Z: check the tag, gather the release's files in build/release/ (dist, docs, TS types)
	@scripts/release $(TAG)

generate: install ## Regenerate generated_client/ from the spec
	@scripts/generate

check-generated: install ## Fail if generated_client/ is out of date with the spec
	@scripts/check-generated

lint: install ## Lint the spec (validator, Spectral), the code (ruff, mypy --strict) and the scripts
	@scripts/lint

unit: install ## Unit and integration tests, without the long mock contract run
	@scripts/unit

coverage: install ## The unit tests under coverage (line and branch, src/ and bench/): reports/coverage.xml, build/coverage/
	@scripts/coverage

contract: install ## Fuzz the spec's Prism mock with schemathesis; summary and JUnit in reports/
	@scripts/contract

test: install ## Everything: lint, check-generated, unit tests, the installable client (dist), the mock contract run (two lanes at once)
	@scripts/test

mock: install ## Serve the spec with Prism at the documented URL until Ctrl-C (PORT=N optional; prints the URL)
	@scripts/mock $(if $(PORT),--port $(PORT)) -- bash -c 'echo "Prism serves the spec at $$MOCK_BASE_URL (Ctrl-C stops it)"; while :; do sleep 3600; done'

proxy: install ## UPSTREAM=URL [PORT=N]: Prism's validating proxy in front of UPSTREAM until Ctrl-C; violations are answered as errors
	@scripts/proxy $(if $(PORT),--port $(PORT)) "$(UPSTREAM)" -- bash -c 'echo "Prism validates the traffic at $$PROXY_BASE_URL (Ctrl-C stops it; log in build/mock/)"; while :; do sleep 3600; done'

contract-live: install ## Check the live API (or HIDREAM_API_BASE_URL) against the spec; see README
	@scripts/contract-live

compat: install ## Classify the spec change since BASE (default: merge base with main) as breaking or not
	@scripts/compat $(BASE)

interop: install ## The interop matrix: every popular generator's client decodes the spec's examples (reports/interop.md)
	@scripts/interop

docs: install ## Render the spec to a self-contained HTML reference in build/docs/, and the guides (docs/*.md) to build/docs/guides/
	@scripts/docs

docs-browser: install ## Render the docs in headless Chromium: check the operation view, screenshot it (not in make test)
	@scripts/docs-browser

bench: install ## Benchmarks: the client and the contract run against their baselines; writes BENCHMARKS.md
	@scripts/bench

sim: install ## Serve the HiDream simulator until Ctrl-C (prints its base URL); ARGS="--scenario NAME ..."
	@scripts/sim $(ARGS)

conformance: install ## Our client, typescript-fetch and every generated client with an adapter through the conformance catalog: the tables
	@scripts/conformance

workflow: install ## Lint the Arazzo workflow (workflows/) and run it with Redocly respect against the simulator
	@scripts/workflow

clean: ## Remove reports/, build/, dist/ and caches (keeps .venv and node_modules)
	@rm -rf reports build dist .pytest_cache .mypy_cache .ruff_cache .coverage
