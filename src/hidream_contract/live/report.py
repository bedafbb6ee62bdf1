"""The drift report (Markdown), the JUnit XML and the terminal summary of a live run.

Everything written passes through the redaction `write` is given (`hidream.Secret.redact`): the
reproductions never contain the token (they read $HIDREAM_API_TOKEN), and any text that came from
the service is scrubbed too, in case it echoes it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from hidream_contract.live.findings import OPERATION, LiveResult, Observation
from hidream_contract.live.probes import unprobed_operations, unvalued
from hidream_contract.live.settings import LiveSettings
from hidream_contract.live.surface import Row, coverage, share

VERDICTS = {
    0: "the service matches the spec",
    1: "DRIFT: the service and the spec disagree",
    2: "could not run",
}
INCOMPLETE = "incomplete: no drift in what was exercised, but part of the spec was not (see the report)"


def verdict(outcome: LiveResult) -> str:
    """The verdict's words: never "matches the spec" with part of the surface untried."""
    status = outcome.exit_status
    if status == 2 and not outcome.could_not_run and outcome.incomplete:
        return INCOMPLETE
    return VERDICTS[status]


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


def _tasks_line(outcome: LiveResult, config: LiveSettings) -> str:
    budget = outcome.budget
    more = (
        f" + {budget.unknown} possible (answers lost or unreadable: the service may have created them)"
        if budget.unknown
        else ""
    )
    return (
        f"tasks: {budget.accepted} created{more}; the budget allowed {config.max_billable} "
        "(HIDREAM_LIVE_MAX_BILLABLE)"
    )


def _did(row: Row, limit: int = 4) -> tuple[str, str]:
    """(which probes, what the service did) for one coverage row."""
    if not row.by:
        return ("the result reads", "answered") if row.covered else ("—", "not exercised")
    by = sorted(row.by, key=lambda s: s.outcome != "accepted")  # the valid requests first
    shown = by[:limit]
    probes = ", ".join(s.probe for s in shown) + (
        f" and {len(row.by) - limit} more" if len(row.by) > limit else ""
    )
    did = "; ".join(f"{s.outcome}" + (f" (HTTP {s.status})" if s.status is not None else "") for s in shown)
    return probes, did


def coverage_table(outcome: LiveResult) -> list[str]:
    rows = coverage(outcome.sent, outcome.operations_answered)
    covered, total = share(rows)
    lines = [
        "## Coverage of the documented surface",
        "",
        f"{covered} of {total} documented fields, headers, allowed values and operations exercised "
        "(statuses are listed, not counted: the service chooses them).",
        "",
        "| documented | kind | exercised by | what the service did |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        probes, did = _did(row)
        mark = "" if row.covered or not row.item.counted else " **(not covered)**"
        lines.append(f"| {_cell(row.item.label)}{mark} | {row.item.kind} | {_cell(probes)} | {_cell(did)} |")
    return [*lines, ""]


def not_exercised_section(outcome: LiveResult) -> list[str]:
    """What the spec documents that the run did not exercise, and why it may be: the reason the
    verdict is not "matches the spec"."""
    if not outcome.incomplete:
        return []
    lines = ["## Not exercised: why the verdict is not an all-clear", ""]
    if outcome.not_exercised:
        lines += [f"Documented but not exercised ({len(outcome.not_exercised)}):", ""]
        lines += [f"- {_cell(label)}" for label in outcome.not_exercised] + [""]
    why = []
    if outcome.left_out:
        why.append(f"the budget ran out: {len(outcome.left_out)} steps left out ({outcome.left_out_reason})")
    if outcome.unjudged:
        why.append(f"no conclusive answer to: {', '.join(outcome.unjudged)}")
    if outcome.not_asked:
        why.append(f"not asked by the probe set: {', '.join(outcome.not_asked)}")
    why += [f"{name}: {reason}" for name, reason in unvalued().items()]
    why += [
        f"{op.label}: the live check has no probe for this operation's shape" for op in unprobed_operations()
    ]
    if why:
        lines += ["Why:", ""] + [f"- {_cell(text)}" for text in why] + [""]
    return lines


def markdown(outcome: LiveResult, config: LiveSettings) -> str:
    status = outcome.exit_status
    traffic = outcome.traffic
    lines = [
        "# Live contract check: drift report",
        "",
        f"- verdict: **{verdict(outcome)}** (exit status {status})",
        f"- target: `{config.base_url}` — operation `{OPERATION}`",
        f"- {_tasks_line(outcome, config)}",
        f"- requests sent: {traffic.sent} ({traffic.retries} retries, {traffic.lost} answers lost; "
        f"{traffic.unbilled} without the account's token, outside the budget: they bill nobody); "
        f"probe set HIDREAM_LIVE_PROBES={config.probes}",
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
                f"- operation: `{f.operation or OPERATION}`",
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
    lines += not_exercised_section(outcome)
    lines += coverage_table(outcome)
    if outcome.left_out:
        lines += [
            "## Left out: the budget ran out",
            "",
            f"The guard refused the next request: {outcome.left_out_reason}. The verdict stands on what "
            "ran; these did not:",
            "",
        ]
        lines += [f"- {name}" for name in outcome.left_out] + [""]
    if outcome.inconclusive:
        lines += ["## Sent, but no conclusive answer (no verdict either way)", ""]
        lines += [f"- {_cell(text)}" for text in outcome.inconclusive] + [""]
    if outcome.not_asked:
        lines += [
            f"## Not asked (HIDREAM_LIVE_PROBES={config.probes})",
            "",
            "HIDREAM_LIVE_PROBES=all runs them too; each may create a task on a faithful service:",
            "",
        ]
        lines += [f"- {name}" for name in outcome.not_asked] + [""]
    recorded = [f for f in outcome.findings if f.kind == "recorded"]
    lines += [
        "## Recorded where the documentation is silent (not failures)",
        "",
        "| probe | about | what the service did |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {_cell(f.probe)} | `{_cell(f.field)}` | {_cell(f.service_did)} |" for f in recorded]
    lines += [""]
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
        tests=str(len(names) + len(outcome.left_out) + len(outcome.could_not_run)),
        failures=str(sum(1 for n in names if any(f.kind == "drift" for f in by_probe[n]))),
        errors=str(len(outcome.could_not_run)),
        skipped=str(len(outcome.left_out)),
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
    for name in outcome.left_out:
        case = ET.SubElement(suite, "testcase", classname=OPERATION, name=name)
        ET.SubElement(case, "skipped", message="left out: the budget ran out (HIDREAM_LIVE_MAX_BILLABLE)")
    for n, reason in enumerate(outcome.could_not_run, 1):
        case = ET.SubElement(suite, "testcase", classname=OPERATION, name=f"could not run {n}")
        ET.SubElement(case, "error", message=reason, type="could-not-run")
    return ET.ElementTree(suite)


def summary(outcome: LiveResult, config: LiveSettings, report_path: Path) -> str:
    status = outcome.exit_status
    covered, total = share(coverage(outcome.sent, outcome.operations_answered))
    lines = [
        f"==> contract-live: {verdict(outcome)} (exit {status})",
        f"    {_tasks_line(outcome, config)}",
        f"    {outcome.traffic.sent} requests to {config.base_url}; documented surface exercised "
        f"{covered}/{total}; {outcome.seconds:.1f} s",
    ]
    lines += [f"    could not run: {reason}" for reason in outcome.could_not_run]
    lines += [
        f"    drift: {f.check} on {f.field} ({_seen_on(probes)}): {f.service_did}"
        for f, probes in grouped(outcome.drifts)
    ]
    if outcome.not_exercised:
        shown = ", ".join(outcome.not_exercised[:6]) + (" …" if len(outcome.not_exercised) > 6 else "")
        lines.append(f"    not exercised: {shown}")
    if outcome.left_out:
        lines.append(f"    not run (budget): {len(outcome.left_out)} steps left out; see the report")
    if outcome.inconclusive:
        lines.append(f"    no conclusive answer: {len(outcome.inconclusive)}; see the report")
    lines.append(f"    report: {report_path} (JUnit: {report_path.with_name('live-junit.xml')})")
    return "\n".join(lines)


def write(outcome: LiveResult, config: LiveSettings, reports: Path, redact: Callable[[str], str]) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    report_path = reports / "live-drift-report.md"
    report_path.write_text(redact(markdown(outcome, config)), encoding="utf-8")
    xml = ET.tostring(junit(outcome).getroot(), encoding="unicode")
    (reports / "live-junit.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n' + redact(xml) + "\n", encoding="utf-8"
    )
    return report_path
