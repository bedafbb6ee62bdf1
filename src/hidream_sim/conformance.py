"""Run an SDK through the conformance catalog (catalog.yaml) against fresh simulators; print the table.

An SDK is driven by an *adapter* (protocol 2: catalog.schema.json's $defs adapter_request and
observation): given one request (a JSON object: the case's action, the simulator's base URL, the token,
the image, the SDK settings), it makes the SDK do the action and answers one JSON object, the observation:

    {"outcome": "succeeded|submitted|failed|refused|timeout|error",
     "error_kind": "auth|rejected|validation|..." or null,   # the catalog's error_kinds
     "error_type": "TheSdksErrorClass" or null,
     "surfaced": ["every text the SDK showed its user: error messages, reprs, results, logs"],
     "seconds": 1.23}          # optional: how long the SDK call took (else the runner's clock)

In Python an adapter is a callable `request -> observation`; from the command line it is a program that
reads the request on stdin and writes the observation as the last line of stdout:

    python -m hidream_sim.conformance --adapter "node my_adapter.mjs" [--group lifecycle] [--json out.json]
        [--junit junit.xml] [--markdown table.md] [--host 127.0.0.1] [--ports 8100-8199] [--case ID] [--list]

The runner checks the observation and what the simulator saw (tasks billed, requests, submits, result
reads, callbacks, the time between a 429 and the retry, image downloads that carried the token, the
output PNG's size) against the case's `expect`. docs/sdk-authors.md has the request's fields and an
adapter to start from.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from hidream_sim import OPERATION_PATH, RESULTS_SUFFIX, Simulator, png, simulator
from hidream_sim.server import DEFAULT_SLOW_SECONDS

Adapter = Callable[[dict[str, Any]], dict[str, Any]]
OUTCOMES = ("succeeded", "submitted", "failed", "refused", "timeout", "error")
CLOCK_SLACK_S = 0.02  # the simulator stamps arrivals; a retry this much early still counts as on time
ADAPTER_TIMEOUT_S = 120.0
PROTOCOL = 2  # the adapter protocol this runner speaks (the catalog's adapter_protocol)
GROUPS = ("lifecycle", "faults", "secrets", "drift", "harmless", "rejections", "downloads")


def catalog_text() -> str:
    return resources.files("hidream_sim").joinpath("catalog.yaml").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    text = resources.files("hidream_sim").joinpath("catalog.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_catalog() -> dict[str, Any]:
    """The catalog as data (needs PyYAML: `pip install "hidream-client[sim]"`), checked against its
    schema when jsonschema is installed."""
    try:
        import yaml
    except ImportError as error:  # pragma: no cover - the [sim] extra installs it
        raise RuntimeError('reading the catalog needs PyYAML: pip install "hidream-client[sim]"') from error
    data: dict[str, Any] = yaml.safe_load(catalog_text())
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - optional
        return data
    jsonschema.validate(data, schema())
    return data


def error_kinds() -> tuple[str, ...]:
    """The vocabulary of `error_kind` (the schema's enum)."""
    return tuple(schema()["$defs"]["error_kind"]["enum"])


class UnknownCaseError(ValueError):
    """A case id the catalog does not have (the message names it and how to list the known ones)."""


def cases(group: str | None = None, ids: Iterable[str] = ()) -> list[dict[str, Any]]:
    wanted = set(ids)
    catalog = load_catalog()["cases"]
    unknown = wanted - {case["id"] for case in catalog}
    if unknown:
        raise UnknownCaseError(
            f"no such case: {', '.join(sorted(unknown))} (--list shows the {len(catalog)} cases)"
        )
    return [
        case
        for case in catalog
        if (group is None or case["group"] == group) and (not wanted or case["id"] in wanted)
    ]


@dataclass
class Row:
    """One case's result: what the table prints."""

    case_id: str
    group: str
    scenario: str
    rule: str
    problems: list[str] = field(default_factory=list)
    outcome: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.problems


def request_for(case: dict[str, Any], sim: Simulator, token: str, workdir: Path) -> dict[str, Any]:
    """What the adapter is asked to do (JSON-ready)."""
    image = case["input"]["image"]
    sdk = dict(case.get("sdk", {}))
    wrong = sdk.pop("token", "right") == "wrong"
    if "url" in image:
        text = image["url"]
    elif "text" in image:
        text = image["text"]
    else:
        text = base64.b64encode(png.png(*image["png"])).decode()
    request: dict[str, Any] = {
        "protocol": PROTOCOL,
        "id": case["id"],
        "action": case["action"],
        "base_url": sim.base_url,
        "token": f"wrong-{token}" if wrong else token,
        "image": text,
        "upsale_ratio": case["input"]["upsale_ratio"],
        "sdk": sdk,
        "output_path": str(workdir / f"{case['id']}.png"),
    }
    if case["action"] == "submit_with_callback":
        request["notify_url"] = sim.callback_sink_url
    return request


@dataclass(frozen=True)
class Place:
    """Where the runner's simulators listen: a host, and the ports to try (empty: one the kernel picks)."""

    host: str = "127.0.0.1"
    ports: Sequence[int] = ()

    @classmethod
    def parse(cls, host: str, ports: str | None) -> Place:
        """`ports` as `N` or `LOW-HIGH` (inclusive)."""
        if not ports:
            return cls(host)
        low, _, high = ports.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ValueError(f"--ports: {ports!r} is not N or LOW-HIGH") from None
        if not 0 < first <= last <= 65535:
            raise ValueError(f"--ports: {ports!r} is not a range of ports 1..65535")
        return cls(host, range(first, last + 1))


@contextmanager
def _simulator_at(place: Place, case: dict[str, Any], token: str) -> Iterator[Simulator]:
    """A fresh simulator for the case on the first free port of `place`."""
    server = case.get("server", {})
    with ExitStack() as stack:
        for port in place.ports or (0,):
            if port and not _free(place.host, port):
                continue
            try:
                sim = stack.enter_context(
                    simulator(
                        case["scenario"],
                        token,
                        task_seconds=server.get("task_seconds"),
                        slow_seconds=server.get("slow_seconds", DEFAULT_SLOW_SECONDS),
                        host=place.host,
                        port=port,
                    )
                )
                break
            except OSError:
                continue
        else:
            where = f"any port of {place.ports[0]}-{place.ports[-1]}" if place.ports else "a free port"
            raise OSError(f"cannot listen on {place.host} at {where}")
        yield sim


def _free(host: str, port: int) -> bool:
    """Whether `port` can be bound now (the simulator's server fails unclearly on a busy port)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run_case(case: dict[str, Any], adapter: Adapter, place: Place | None = None) -> Row:
    row = Row(case["id"], case["group"], case["scenario"], case["rule"])
    token = "sim-conformance-" + secrets.token_hex(8)
    with (
        tempfile.TemporaryDirectory(prefix="hidream-sim-") as workdir,
        _simulator_at(place or Place(), case, token) as sim,
    ):
        request = request_for(case, sim, token, Path(workdir))
        started = time.monotonic()
        try:
            observation = adapter(request)
        except Exception as error:  # an adapter that crashes is a failed row, not a crashed run
            observation = {"outcome": "crash", "error_type": type(error).__name__, "surfaced": [str(error)]}
        wall = time.monotonic() - started
        if case["action"] == "submit_with_callback":
            _await_callbacks(sim)
        row.seconds = float(observation.get("seconds") or wall)
        row.outcome = str(observation.get("outcome"))
        row.problems = check(case, observation, sim, request, row.seconds)
    return row


def _await_callbacks(sim: Simulator, within: float = 5.0) -> None:
    """The callback goes out on its own thread after the submit's answer."""
    end = time.monotonic() + within
    while time.monotonic() < end and len(sim.callbacks) < sim.billed:
        time.sleep(0.02)


def check(
    case: dict[str, Any], observation: dict[str, Any], sim: Simulator, request: dict[str, Any], seconds: float
) -> list[str]:
    """What the SDK did differently from `expect` (empty: it conforms)."""
    expect = case["expect"]
    problems: list[str] = []
    outcome = observation.get("outcome")
    if outcome not in expect["outcome"]:
        error = observation.get("error_type")
        problems.append(
            f"outcome {outcome}{f' ({error})' if error else ''}, expected {'|'.join(expect['outcome'])}"
        )
    problems += _protocol_problems(observation)
    problems += _kind_problems(expect, observation)
    log = sim.log
    submits = [x for x in log if x.method == "POST" and x.path.endswith(OPERATION_PATH)]
    reads = [x for x in log if x.method == "GET" and x.path.endswith(OPERATION_PATH + RESULTS_SUFFIX)]
    sent = [c for c in sim.callbacks if c.sent and c.http_status is not None and 200 <= c.http_status < 300]
    for name, actual in (
        ("billed", sim.billed),
        ("requests", len(log)),
        ("submits", len(submits)),
        ("result_reads", len(reads)),
        ("callbacks_sent", len(sent)),
    ):
        if name in expect:
            problem = _count_problem(name, actual, expect[name])
            if problem:
                problems.append(problem)
    if "png" in expect:
        problems += _png_problems(Path(request["output_path"]), tuple(expect["png"]))
    if "retry_after_respected" in expect:
        problems += _retry_problems(log, float(expect["retry_after_respected"]))
    if "max_seconds" in expect and seconds > expect["max_seconds"]:
        problems.append(f"took {seconds:.2f} s, more than {expect['max_seconds']} s")
    if expect.get("token_never_sent_to_storage") and sim.book.image_requests_with_auth:
        problems.append(
            f"the token was sent with {sim.book.image_requests_with_auth} of {sim.book.image_requests} "
            "image downloads (the storage host must never get it)"
        )
    if expect.get("no_output_file"):
        left = sorted(path.name for path in Path(request["output_path"]).parent.iterdir())
        if left:
            problems.append(f"files left where the image was to be written: {', '.join(left)}")
    texts = [str(text) for text in observation.get("surfaced", [])]
    for word in expect.get("surfaces", []):
        pattern = re.compile(rf"(?<![\w]){re.escape(word)}(?![\w])")
        if not any(pattern.search(text) for text in texts):
            problems.append(f"no text the SDK showed names {word!r}")
    if expect.get("names_the_task"):
        ids = [task.task_id for task in sim.tasks if task.task_id]
        if ids and not any(task_id in text for task_id in ids for text in texts):
            problems.append("no text the SDK showed names the task (its task_id)")
    if expect.get("token_never_surfaces"):
        token = request["token"]
        surfaced = [str(text) for text in observation.get("surfaced", [])]
        leaks = [text for text in surfaced if token in text]
        if leaks:
            problems.append(f"the token surfaced in {len(leaks)} of {len(surfaced)} texts the SDK showed")
    return problems


def _protocol_problems(observation: dict[str, Any]) -> list[str]:
    """The observation against the schema's $defs/observation (when jsonschema is installed)."""
    if observation.get("outcome") == "crash":  # the runner's own word for an adapter that crashed
        return []
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - optional
        return []
    defs = schema()["$defs"]
    errors = sorted(
        jsonschema.Draft202012Validator({"$defs": defs, **defs["observation"]}).iter_errors(observation),
        key=lambda error: list(error.absolute_path),
    )
    return [
        f"the observation does not follow the adapter protocol at "
        f"{'/'.join(map(str, error.absolute_path)) or 'its top'}: {error.validator} {error.validator_value!r}"
        for error in errors[:3]
    ]


def _kind_problems(expect: dict[str, Any], observation: dict[str, Any]) -> list[str]:
    """The error's kind: one of the vocabulary, and one the case allows when it ended in an error."""
    kind = observation.get("error_kind")
    known = error_kinds()
    if kind is not None and kind not in known:
        return [f"error kind {kind!r} is not in the vocabulary ({', '.join(known)})"]
    allowed = expect.get("error_kind")
    if allowed and observation.get("outcome") == "error" and kind not in allowed:
        return [f"error kind {kind}, expected {'|'.join(allowed)}"]
    return []


def _count_problem(name: str, actual: int, expected: int | dict[str, int]) -> str | None:
    if isinstance(expected, int):
        return None if actual == expected else f"{name} {actual}, expected {expected}"
    low, high = expected.get("min", 0), expected.get("max")
    if actual < low or (high is not None and actual > high):
        bounds = f">= {low}" if high is None else f"{low}..{high}"
        return f"{name} {actual}, expected {bounds}"
    return None


def _png_problems(path: Path, size: tuple[int, ...]) -> list[str]:
    if not path.is_file():
        return [f"no image written to {path.name}"]
    try:
        actual = png.png_size(path.read_bytes())
    except ValueError:
        return [f"{path.name} is not a PNG"]
    return [] if actual == size else [f"the PNG is {actual[0]}x{actual[1]}, expected {size[0]}x{size[1]}"]


def _retry_problems(log: list[Any], seconds: float) -> list[str]:
    throttled = next((i for i, x in enumerate(log) if x.status == 429), None)
    if throttled is None:
        return ["the simulator never answered 429 (the scenario did not run)"]
    first = log[throttled]
    again = next((x for x in log[throttled + 1 :] if x.path == first.path), None)
    if again is None:
        return [f"the {first.method} answered 429 was never retried"]
    gap = again.at - first.at
    if gap + CLOCK_SLACK_S < seconds:
        return [f"retried after {gap:.2f} s; Retry-After asked for {seconds:g} s"]
    return []


def command_adapter(argv: list[str], env: dict[str, str] | None = None) -> Adapter:
    """An adapter that is a program: the request on stdin, the observation on the last stdout line.

    Its stderr counts as surfaced text (logs are where tokens leak)."""

    def run(request: dict[str, Any]) -> dict[str, Any]:
        done = subprocess.run(
            argv,
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=ADAPTER_TIMEOUT_S,
            check=False,
            env=env,
        )
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        try:
            observation: dict[str, Any] = json.loads(lines[-1])
        except (IndexError, ValueError):
            tail = (done.stderr or done.stdout)[-300:].replace(request["token"], "<token>")
            return {"outcome": "crash", "error_type": f"exit {done.returncode}", "surfaced": [tail]}
        observation.setdefault("surfaced", [])
        observation["surfaced"] = [*observation["surfaced"], done.stderr, *lines[:-1]]
        return observation

    return run


def run(adapter: Adapter, selected: list[dict[str, Any]], place: Place | None = None) -> list[Row]:
    return [run_case(case, adapter, place) for case in selected]


def table(rows: list[Row], sdk: str, *, expected_failures: dict[str, str] | None = None) -> str:
    """The Markdown table: one row per case, pass/FAIL (or a known gap, with its reason)."""
    known = expected_failures or {}
    lines = [
        f"Conformance of {sdk}: {sum(r.passed for r in rows)} of {len(rows)} cases pass",
        "",
        "| case | group | scenario | result | outcome | seconds | what a correct SDK does / what differed |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.passed:
            verdict, detail = "pass", row.rule
        elif row.case_id in known:
            verdict, detail = "known gap", f"{'; '.join(row.problems)} ({known[row.case_id]})"
        else:
            verdict, detail = "FAIL", "; ".join(row.problems)
        cells = (row.case_id, row.group, row.scenario, verdict, row.outcome, f"{row.seconds:.2f}", detail)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def junit(rows: list[Row], sdk: str, *, expected_failures: dict[str, str] | None = None) -> str:
    """The rows as JUnit XML (one testsuite, a testcase per case; a known gap is `skipped`): what CI
    systems show as test results."""
    known = expected_failures or {}
    failed = [row for row in rows if not row.passed and row.case_id not in known]
    suite = ElementTree.Element(
        "testsuite",
        name=f"hidream conformance: {sdk}",
        tests=str(len(rows)),
        failures=str(len(failed)),
        errors="0",
        skipped=str(sum(not row.passed and row.case_id in known for row in rows)),
        time=f"{sum(row.seconds for row in rows):.3f}",
    )
    for row in rows:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"conformance.{row.group}",
            name=row.case_id,
            time=f"{row.seconds:.3f}",
        )
        ElementTree.SubElement(
            case, "system-out"
        ).text = f"scenario {row.scenario}; outcome {row.outcome}; {row.rule}"
        if row.passed:
            continue
        if row.case_id in known:
            ElementTree.SubElement(case, "skipped", message=f"known gap: {known[row.case_id]}")
        else:
            failure = ElementTree.SubElement(
                case, "failure", message="; ".join(row.problems), type="conformance"
            )
            failure.text = f"rule: {row.rule}\n" + "\n".join(row.problems)
    ElementTree.indent(suite)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_reports(
    rows: list[Row],
    sdk: str,
    *,
    json_path: str | None = None,
    junit_path: str | None = None,
    markdown_path: str | None = None,
    expected_failures: dict[str, str] | None = None,
) -> None:
    """The files a CI keeps: the rows as JSON, JUnit XML, the Markdown table."""
    if json_path:
        Path(json_path).write_text(json.dumps([row.__dict__ for row in rows], indent=2), encoding="utf-8")
    if junit_path:
        Path(junit_path).write_text(junit(rows, sdk, expected_failures=expected_failures), encoding="utf-8")
    if markdown_path:
        Path(markdown_path).write_text(
            table(rows, sdk, expected_failures=expected_failures), encoding="utf-8"
        )


def add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", choices=GROUPS, help="run only this group's cases")
    parser.add_argument(
        "--case", action="append", default=[], metavar="ID", help="run only this case (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="list the cases (id, group, rule) and exit")
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address the simulators bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--ports", metavar="N|LOW-HIGH", help="ports the simulators may use (default: any free one)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--junit", metavar="PATH", help="also write the rows as JUnit XML")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table to this file")


def selected(args: argparse.Namespace) -> tuple[list[dict[str, Any]], Place] | int:
    """The cases and the place the options name, or the exit status after --list or a usage problem."""
    if args.list:
        for case in cases(args.group):
            print(f"{case['id']}\t{case['group']}\t{case['rule']}")
        return 0
    try:
        return cases(args.group, args.case), Place.parse(args.host, args.ports)
    except ValueError as error:  # an unknown case, a bad port range: named, no traceback
        print(f"conformance: {error}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hidream_sim.conformance", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--adapter", help="the adapter command, e.g. 'node adapter.mjs' (required to run)")
    parser.add_argument("--sdk", default=None, help="the SDK's name in the table (default: the command)")
    add_report_options(parser)
    args = parser.parse_args(argv)
    chosen = selected(args)
    if isinstance(chosen, int):
        return chosen
    if not args.adapter:
        parser.error("--adapter is required to run cases")
    try:
        rows = run(command_adapter(shlex.split(args.adapter)), *chosen)
    except OSError as error:  # no port to listen on: named, no traceback
        print(f"conformance: {error}", file=sys.stderr)
        return 2
    sdk = args.sdk or args.adapter
    print(table(rows, sdk), end="")
    write_reports(rows, sdk, json_path=args.json, junit_path=args.junit, markdown_path=args.markdown)
    return 0 if all(row.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
