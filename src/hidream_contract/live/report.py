"""The drift report (Markdown), the JUnit XML and the terminal summary of a live run.

Everything written passes through `Redactor`: the reproductions never contain the token (they read
$HIDREAM_API_TOKEN), and any text that came from the service is scrubbed too, in case it echoes it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from hidream_contract.live.runner import OPERATION, LiveResult, Observation
from hidream_contract.live.settings import LiveSettings

VERDICTS = {
    0: "the service matches the spec",
    1: "DRIFT: the service and the spec disagree",
    2: "could not run",
}


class Redactor:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def __call__(self, text: str) -> str:
        return text.replace(self._secret, "[REDACTED]") if self._secret else text


def grouped(drifts: list[Observation]) -> list[tuple[Observation, list[str]]]:
    """One entry per (check, field): the first finding, and every probe that showed it."""
    groups: dict[tuple[str, str], tuple[Observation, list[str]]] = {}
    for finding in drifts:
        key = (finding.check, finding.field)
        if key not in groups:
            groups[key] = (finding, [])
        groups[key][1].append(finding.probe)
    return list(groups.values())


def _seen_on(probes: list[str]) -> str:
    return probes[0] if len(probes) == 1 else f"{probes[0]} and {len(probes) - 1} more"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(outcome: LiveResult, config: LiveSettings) -> str:
    status = outcome.exit_status
    traffic = outcome.traffic
    lines = [
        "# Live contract check: drift report",
        "",
        f"- verdict: **{VERDICTS[status]}** (exit status {status})",
        f"- target: `{config.base_url}` — operation `{OPERATION}`",
        f"- requests sent: {traffic.sent} ({traffic.retries} retries); billable: {outcome.budget.spent} of "
        f"HIDREAM_LIVE_MAX_BILLABLE={config.max_billable} (HIDREAM_LIVE_PROBES={config.probes}); "
        f"tasks the service accepted (billed): {outcome.tasks_created}",
        f"- negative cases from schemathesis: {outcome.fuzz_sent} sent of {outcome.fuzz_drawn} drawn "
        f"(seed {config.seed}); run time {outcome.seconds:.1f} s",
        "",
    ]
    if outcome.could_not_run:
        lines += ["## Could not run", ""] + [f"- {reason}" for reason in outcome.could_not_run] + [""]
    groups = grouped(outcome.drifts)
    lines += ["## Drift", ""]
    if not groups:
        lines += ["None found.", ""]
    else:
        lines += [
            "| # | check | field / status | the spec says | the service did | seen on |",
            "| ---: | --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {n} | `{f.check}` | `{_cell(f.field)}` | {_cell(f.spec_says)} | {_cell(f.service_did)} | "
            f"{_cell(_seen_on(probes))} |"
            for n, (f, probes) in enumerate(groups, 1)
        ]
        lines += [""]
        for n, (f, probes) in enumerate(groups, 1):
            lines += [
                f"### {n}. `{f.check}` on `{f.field}`",
                "",
                f"- operation: `{OPERATION}`",
                f"- check: `{f.check}`; field or status: `{f.field}`",
                f"- the spec says: {f.spec_says}",
                f"- the service did: {f.service_did}",
                f"- seen on: {', '.join(probes)}",
                "",
                f"Reproduce ({f.probe}; reads the token from `$HIDREAM_API_TOKEN`):",
                "",
                "```sh",
                f.reproduce,
                "```",
                "",
            ]
    recorded = [f for f in outcome.findings if f.kind == "recorded"]
    lines += [
        "## Recorded where the documentation is silent (not failures)",
        "",
        "| probe | about | what the service did |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {_cell(f.probe)} | `{_cell(f.field)}` | {_cell(f.service_did)} |" for f in recorded]
    lines += [""]
    if outcome.skipped:
        lines += [
            "## Not run: over the billable budget",
            "",
            f"Raise HIDREAM_LIVE_MAX_BILLABLE to {config.max_billable + len(outcome.skipped)} "
            "(or set HIDREAM_LIVE_PROBES=all) to run them:",
            "",
        ]
        lines += [f"- {name}" for name in outcome.skipped] + [""]
    lines += ["## Probes run", ""] + [f"- {name}" for name in outcome.probes_run] + [""]
    lines += [
        "HTTP statuses seen: " + ", ".join(f"{s} x{n}" for s, n in sorted(traffic.statuses.items())),
        "",
    ]
    return "\n".join(lines)


def junit(outcome: LiveResult) -> ET.ElementTree[ET.Element]:
    by_probe: dict[str, list[Observation]] = defaultdict(list)
    for finding in outcome.findings:
        by_probe[finding.probe].append(finding)
    names = list(dict.fromkeys([*outcome.probes_run, *by_probe]))
    suite = ET.Element(
        "testsuite",
        name="contract-live",
        tests=str(len(names) + len(outcome.skipped) + len(outcome.could_not_run)),
        failures=str(sum(1 for n in names if any(f.kind == "drift" for f in by_probe[n]))),
        errors=str(len(outcome.could_not_run)),
        skipped=str(len(outcome.skipped)),
        time=f"{outcome.seconds:.3f}",
    )
    for name in names:
        case = ET.SubElement(suite, "testcase", classname=OPERATION, name=name)
        drifts = [f for f in by_probe[name] if f.kind == "drift"]
        if drifts:
            failure = ET.SubElement(
                case, "failure", message="; ".join(f"{f.check} on {f.field}" for f in drifts), type="drift"
            )
            failure.text = "\n\n".join(
                f"{f.check} on {f.field}\nspec: {f.spec_says}\nservice: {f.service_did}\n{f.reproduce}"
                for f in drifts
            )
        notes = [f for f in by_probe[name] if f.kind == "recorded"]
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(
                f"recorded: {f.field}: {f.service_did}" for f in notes
            )
    for name in outcome.skipped:
        case = ET.SubElement(suite, "testcase", classname=OPERATION, name=name)
        ET.SubElement(case, "skipped", message="over the billable budget (HIDREAM_LIVE_MAX_BILLABLE)")
    for n, reason in enumerate(outcome.could_not_run, 1):
        case = ET.SubElement(suite, "testcase", classname=OPERATION, name=f"could not run {n}")
        ET.SubElement(case, "error", message=reason, type="could-not-run")
    return ET.ElementTree(suite)


def summary(outcome: LiveResult, config: LiveSettings, report_path: Path) -> str:
    status = outcome.exit_status
    lines = [
        f"==> contract-live: {VERDICTS[status]} (exit {status})",
        f"    {outcome.traffic.sent} requests to {config.base_url}, billable {outcome.budget.spent}/"
        f"{config.max_billable}, tasks accepted {outcome.tasks_created}, {outcome.seconds:.1f} s",
    ]
    lines += [f"    could not run: {reason}" for reason in outcome.could_not_run]
    lines += [
        f"    drift: {f.check} on {f.field} ({_seen_on(probes)}): {f.service_did}"
        for f, probes in grouped(outcome.drifts)
    ]
    if outcome.skipped:
        lines.append(f"    not run (budget): {len(outcome.skipped)} billable probes; see the report")
    lines.append(f"    report: {report_path} (JUnit: {report_path.with_name('live-junit.xml')})")
    return "\n".join(lines)


def write(outcome: LiveResult, config: LiveSettings, reports: Path, redact: Redactor) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    report_path = reports / "live-drift-report.md"
    report_path.write_text(redact(markdown(outcome, config)), encoding="utf-8")
    xml = ET.tostring(junit(outcome).getroot(), encoding="unicode")
    (reports / "live-junit.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n' + redact(xml) + "\n", encoding="utf-8"
    )
    return report_path
