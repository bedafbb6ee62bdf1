"""What the figures mean: one sentence per row, written from this run's numbers, and why each floor
is where it is (from the profiles named below). BENCHMARKS.md prints them under its table."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bench.measure import Result

METHOD = [
    "**Interleaving.** Subject and baseline run alternately, AB then BA, one round each, after one "
    "unmeasured warm-up of each (none for the contract run and the Prism launches: each of their "
    "rounds is a whole cold run on purpose); a figure is the median of the per-round ratios (or "
    "differences), so load from other processes falls on both sides of a pair. "
    "Clocks: `time.perf_counter_ns`.",
    "**Client calls.** The spec's own examples: the `imageUrl` request, the `accepted` answer. The local "
    "server (`bench/local_server.py`, stdlib `ThreadingHTTPServer`, HTTP/1.1 keep-alive, 127.0.0.1, "
    "port picked by the kernel) runs in a process of its own, so it does not share the client's GIL; "
    "its own time is inside both sides of the local-server rows. Each side uses one keep-alive client "
    "for the whole benchmark; the raw baseline sends the same JSON with the same headers and calls "
    "`.json()`. Every call is checked once before timing to return the accepted answer.",
    "**Network taken out.** The same calls through `httpx.MockTransport` returning the `accepted` bytes: "
    "what is left is the client's own work per call, in µs.",
    "**Async.** 32 coroutines share one `AsyncClient` (default pool limits on both sides) and each sends "
    "its share of the round's requests back to back; the figure is requests/s.",
    "**Construction.** ms per new client, its `httpx.Client` included (the generated client builds "
    "it lazily, so the row calls `get_httpx_client()` as any first request does); clients are closed "
    "after the round, outside the timing.",
    "**Contract run.** `scripts/contract` (what `make contract` runs after its install check: pytest, "
    "Prism started and stopped by `scripts/mock`) against a bare `st run` with "
    "`--config-file config/schemathesis.toml` (same seed, phases, modes, max-examples) against "
    "a Prism started once beforehand. The bare run loads the same mock-only checks as schemathesis "
    "hooks (`bench/st_mock_hooks.py`) and excludes the two originals they replace, so both check every "
    "answer alike and send the same test cases (the request counts in the row are each tool's own "
    "count of test cases).",
    "**Prism readiness.** One launch of `scripts/mock --serve` per round: the moment it prints "
    "`MOCK_BASE_URL=` (its own probe: `curl` every 50 ms) against a tight probe loop on the same Prism "
    "(`http.client` POST every ~1 ms from the moment `scripts/mock` names its port, just before it "
    "launches Prism). Both clocks start when `scripts/mock` is launched.",
    "**check-generated.** `make check-generated` as typed (its install check included) against the "
    "bare `openapi-python-client generate` call it wraps.",
    "**Install.** `VENV=<scratch> scripts/install --python-only` (the Python half of `make install`) "
    "with private pip and uv caches: cold (empty caches, every locked file from PyPI), then warm into "
    "a new venv (caches filled by the cold run), then the same command again (fingerprint: no-op). "
    "Cold must run before warm, so these rows are not interleaved.",
]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _sync_local(r: Result) -> str:
    return (
        f"Sync submit over keep-alive: {r.subject_median:.0f} µs per call for the generated client "
        f"against {r.baseline_median:.0f} µs for raw httpx ({r.ratio:.2f}x, target ≤ 1.10x: {r.verdict})."
    )


def _sync_mock(r: Result) -> str:
    extra = r.subject_median - r.baseline_median
    return (
        f"With the network taken out, a call costs {r.subject_median:.0f} µs through the generated client "
        f"and {r.baseline_median:.0f} µs as raw httpx: the client adds {extra:.0f} µs per call (building "
        "the attrs request model and `to_dict()`, the `HTTPStatus` lookup and `from_dict()` into typed "
        "models, one `SubmitUpscaleTaskOutcome` for both answers). Against a real server this is "
        "a small share of a request."
    )


def _async(r: Result) -> str:
    return (
        f"{r.extra.get('concurrency', '?')} concurrent async submits: {r.subject_median:.0f} req/s "
        "for the generated client against "
        f"{r.baseline_median:.0f} req/s for raw httpx.AsyncClient ({r.ratio:.2f}x, target ≥ 0.9x: "
        f"{r.verdict}). The client process is the bottleneck, not the server: the same rows against "
        "uvicorn 0.54 with httptools and uvloop (tried once, not kept as a dependency) gave the same "
        "req/s on both sides, so the figure is httpx's async stack and connection pool, plus each "
        "client's own work."
    )


def _construct_httpx(r: Result) -> str:
    return (
        f"A new `httpx.Client()` costs {r.subject_median:.1f} ms, against {r.baseline_median:.2f} ms when "
        "it is handed an `ssl.SSLContext` made once and shared: nearly all of it is building a context "
        "and loading certifi's CA bundle into it, per instance."
    )


def _construct_generated(r: Result) -> str:
    return (
        f"The generated `AuthenticatedClient` pays that cost too ({r.subject_median:.1f} ms per instance "
        "before its first request): it builds its `httpx.Client` with `verify=True`. A caller avoids it "
        "by passing `verify_ssl=<shared SSLContext>`; the template is the generator's, so the "
        "hand-written client (`src/hidream/`) is where one is shared (next rows)."
    )


def _contract(r: Result) -> str:
    return (
        f"`make contract` took {r.subject_median:.1f} s (Prism's start-up included) against "
        f"{r.baseline_median:.1f} s for the bare `st run` against a Prism already up: {r.ratio:.2f}x "
        f"(target ≤ 1.3x: {r.verdict}); requests/s (ours / bare): {r.extra.get('requests/s', '?')}. "
        "The bare CLI is the slower one: its engine calls `hypothesis.target()` with the operation's "
        "success rate on every fuzzed case, which switches on Hypothesis' targeted search, and Hypothesis "
        "then spends most of the run in Pareto optimisation and its shrinker (py-spy over a bare run: "
        "~80% of samples under `ConjectureRunner.optimise_targets`). The pytest integration does not "
        "call `target()`, so the same test cases cost less CPU there; Prism's start-up (~1-2 s) is "
        "what remains on our side."
    )


def _readiness(r: Result) -> str:
    return (
        f"Prism answers its first request {r.baseline_median:.2f} s after launch (tight probe); "
        f"`scripts/mock` reports it ready at {r.subject_median:.2f} s, {_ms(r.difference)} later "
        f"(target ≤ 100 ms: {r.verdict}). The lag is its 50 ms poll interval plus one `curl` start; "
        "the launch itself is Node loading Prism and parsing the spec."
    )


def _generate(r: Result) -> str:
    rest = r.subject_median - r.baseline_median
    return (
        f"`make check-generated` takes {r.subject_median:.2f} s (target ≤ 2 s: {r.verdict}); "
        f"{r.baseline_median:.2f} s of it is the generator itself (Python start-up and imports, "
        "Jinja templates, its two ruff post-hooks), the other "
        f"{rest:.2f} s make's install check, `scripts/generate`'s version lookup and the `diff -r`. "
        "Profiling it (`python -m bench --profile generate`, pyinstrument) found one avoidable cost, "
        "now fixed: `scripts/generate` asked `openapi-python-client --version` for its log line, which "
        "imports the whole tool (~0.35 s of ~0.95 s); it reads the version from package metadata now "
        "(~0.06 s). The rest is the generator's floor: about half its run is Python start-up and "
        "imports (typer, jinja2, ruamel.yaml, pydantic), the rest compiling its Jinja templates anew "
        "each run (~0.17 s, no bytecode cache), rendering (~0.15 s), reading the spec with ruamel "
        "(~0.08 s) and the ruff post-hooks (~0.04 s)."
    )


# From `python -m bench --profile client` (5,000 submits through MockTransport, pyinstrument).
SDK_PROFILE = (
    "Its own time per call (`python -m bench --profile client`) is spread thin. The first profile "
    "found the tenacity retry loop around the single successful attempt at ~28% of it; a call is "
    "now one explicit loop whose retry bookkeeping (`Retries`) is made only at a first failure "
    "(`src/hidream/_core.py`; tenacity is gone, issue 10), which took the row from 1.12x to about "
    "1.07x. What is left: reading the envelope (a third of it redacting the token "
    "from the text of every answer, kept on purpose: an echoed token must not reach a log), "
    "preparing the request (merging headers into an `httpx.Headers`), input checks, building the "
    "`UpscaleTask`."
)


def _sdk_sync_local(r: Result) -> str:
    text = (
        f"Our client (`HiDream`, issue 6), sync over keep-alive: {r.subject_median:.0f} µs per call "
        f"against {r.baseline_median:.0f} µs for raw httpx ({r.ratio:.2f}x, target ≤ 1.10x: {r.verdict})."
    )
    return f"{text} {SDK_PROFILE}"


def _sdk_guards(r: Result) -> str:
    return (
        f"Issue 15's per-call guards (argument checks, the whole-call deadline: timeouts clamped to it, "
        f"deadline-aware sockets) cost {r.subject_median - r.baseline_median:.0f} µs of a "
        f"{r.baseline_median:.0f} µs local round trip ({r.ratio:.3f}x, target ≤ 1.05x: {r.verdict}); "
        "two identical clients differ by about ±2% in the same run, so that is within the noise. The "
        "token checks run once, when the client is made."
    )


def _sdk_sync_mock(r: Result) -> str:
    return (
        f"Our client with the network taken out: {r.subject_median:.0f} µs per call against "
        f"{r.baseline_median:.0f} µs for raw httpx, {r.subject_median - r.baseline_median:.0f} µs of its "
        "own: input checks, the generated request builder and models, envelope checks (token redaction "
        "included) and the `UpscaleTask` it returns; on success no retry machinery runs."
    )


def _sdk_async(r: Result) -> str:
    return (
        f"Our `AsyncHiDream` at {r.extra.get('concurrency', '?')} concurrent submits: "
        f"{r.subject_median:.0f} req/s against "
        f"{r.baseline_median:.0f} req/s for raw httpx.AsyncClient ({r.ratio:.2f}x, target ≥ 0.9x: "
        f"{r.verdict})."
    )


def _construct_sdk(r: Result) -> str:
    return (
        f"A new `HiDream` costs {r.subject_median:.2f} ms (target ≤ 2 ms: {r.verdict}), about what an "
        f"`httpx.Client` with a shared SSL context costs ({r.baseline_median:.2f} ms): it builds its pool "
        "with one SSL context per process (`hidream._core.shared_ssl_context`), so the ~20 ms above is "
        "paid once, not per instance."
    )


def _install_cold_warm(r: Result) -> str:
    return (
        f"Installing the dev environment from uv.lock takes {r.subject_median:.1f} s cold "
        f"(empty caches, {r.extra.get('cache', '?')} downloaded) and {r.baseline_median:.1f} s warm "
        f"({r.ratio:.1f}x). Warm, most of it is `python -m venv` (ensurepip) and pip installing uv; "
        "uv's own sync of the locked packages from its cache takes well under a second."
    )


def _install_noop(r: Result) -> str:
    return (
        f"A second `scripts/install` with nothing changed takes {r.subject_median:.2f} s (target ≤ "
        f"{r.target.limit if r.target else 0:g} s: {r.verdict}): the fingerprint of pyproject.toml, "
        "uv.lock, hatch_build.py and the spec matches, so neither pip nor uv runs."
    )


WRITERS: dict[str, Callable[[Result], str]] = {
    "sdk_sync_local": _sdk_sync_local,
    "sdk_guards": _sdk_guards,
    "sdk_sync_mock": _sdk_sync_mock,
    "sdk_async": _sdk_async,
    "construct_sdk": _construct_sdk,
    "sync_local": _sync_local,
    "sync_mock": _sync_mock,
    "async": _async,
    "construct_httpx": _construct_httpx,
    "construct_generated": _construct_generated,
    "contract": _contract,
    "readiness": _readiness,
    "generate": _generate,
    "install-cold-warm": _install_cold_warm,
    "install-noop": _install_noop,
}


def findings(results: Sequence[Result]) -> list[str]:
    """One finding per row that has a writer, in table order; a missed target is flagged first."""
    lines = []
    for result in results:
        writer = WRITERS.get(result.key)
        if writer is None:
            continue
        text = writer(result)
        lines.append(f"**MISSED** — {text}" if result.met is False else text)
    return lines
