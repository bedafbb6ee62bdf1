"""The gate's outcome: the version the change calls for, the exit status, and the Markdown report
with the changelog entry to paste into CHANGELOG.md."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from hidream_contract.compat.changes import Change
from hidream_contract.compat.judge import Evidence, Finding, Verdict
from hidream_contract.compat.judges import JudgeReport
from hidream_contract.distribution import distribution_name

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")
SECTION_ORDER = ("Added", "Changed", "Removed")


def parse_version(text: object) -> tuple[int, int, int] | None:
    match = SEMVER.match(str(text))
    return None if match is None else (int(match[1]), int(match[2]), int(match[3]))


def _touches(change: Change, finding: Finding) -> bool:
    """Whether `finding` happens at (or inside) what `change` names."""
    if (change.direction, change.operation, change.status) != (
        finding.direction,
        finding.operation,
        finding.status,
    ):
        return False
    if change.location != finding.location and "status" not in (change.location, finding.location):
        return False
    depth = min(len(change.path), len(finding.path))
    # A generated array index matches the "*" a change uses for "any item".
    return all(c == f or c == "*" for c, f in zip(change.path[:depth], finding.path[:depth], strict=True))


@dataclass
class Outcome:
    old_version: str
    new_version: str
    verdict: Verdict
    changes: list[Change]
    identical: bool  # the two documents are equal, prose included
    judges: list[JudgeReport] = field(default_factory=list)  # oasdiff and the SDK judges (judges.py)

    @property
    def breaking(self) -> bool:
        """The strictest verdict: the wire judge's, or any other judge's."""
        return self.verdict.breaking or any(j.breaking for j in self.judges)

    @property
    def gaps(self) -> list[JudgeReport]:
        """Judges that found part of the spec the client or the CLI cannot send (the completeness judge)."""
        return [j for j in self.judges if any(f.level == "gap" for f in j.findings)]

    @property
    def breaking_judges(self) -> list[str]:
        found = ["wire"] if self.verdict.breaking else []
        return found + [j.name for j in self.judges if j.breaking]

    @property
    def failed_judges(self) -> list[JudgeReport]:
        return [j for j in self.judges if j.error]

    @property
    def breaking_changes(self) -> list[Change]:
        return [c for c in self.changes if any(_touches(c, e.finding) for e in self.verdict.evidence)]

    @property
    def unexplained(self) -> list[Evidence]:
        """Findings no named change accounts for (still breaking; listed on their own)."""
        return [e for e in self.verdict.evidence if not any(_touches(c, e.finding) for c in self.changes)]

    @property
    def bump(self) -> str:
        """What semantic versioning asks of `info.version` for this change."""
        if self.breaking:
            return "major"
        if self.changes:
            return "minor"
        return "none" if self.identical else "patch"

    @property
    def major_bumped(self) -> bool:
        old, new = parse_version(self.old_version), parse_version(self.new_version)
        return old is not None and new is not None and new[0] > old[0]

    @property
    def exit_code(self) -> int:
        if (self.breaking and not self.major_bumped) or self.gaps:
            return 1
        return 2 if self.failed_judges else 0

    def suggested_version(self) -> str:
        old = parse_version(self.old_version)
        if old is None or self.bump == "none":
            return self.new_version
        major, minor, patch = old
        if self.bump == "major":
            return f"{major + 1}.0.0"
        return f"{major}.{minor + 1}.0" if self.bump == "minor" else f"{major}.{minor}.{patch + 1}"

    def version_fits(self) -> bool:
        """Whether `info.version` already is at least the version this change calls for."""
        new, suggested = parse_version(self.new_version), parse_version(self.suggested_version())
        return new is not None and (suggested is None or new >= suggested)

    def version_advice(self) -> str:
        if self.bump == "none":
            return "The documents are identical: no new version."
        if parse_version(self.new_version) is None:
            suggested = self.suggested_version()
            return f"`info.version` {self.new_version!r} is not MAJOR.MINOR.PATCH; use {suggested}."
        if not self.version_fits():
            return (
                f"`info.version` is {self.new_version}; this {self.bump} change calls for "
                f"{self.suggested_version()}: set it in the spec, then `make generate`."
            )
        return f"`info.version` {self.new_version} fits this {self.bump} change."

    def headline(self) -> str:
        return self._verdict_headline() + (
            " INCOMPLETE: the client or the CLI cannot send part of the new spec (completeness, below)."
            if self.gaps
            else ""
        )

    def _verdict_headline(self) -> str:
        if self.failed_judges and not self.breaking:
            names = ", ".join(j.name for j in self.failed_judges)
            return f"NO VERDICT: judge(s) {names} could not run (see below); nothing else found breaking."
        if not self.breaking:
            return "COMPATIBLE: clients generated from the old spec keep working."
        judges = ", ".join(self.breaking_judges)
        if self.major_bumped:
            return (
                f"BREAKING, released as a new major version ({self.old_version} → {self.new_version}) "
                f"(found by: {judges})."
            )
        if not self.verdict.breaking:
            return (
                f"BREAKING for SDK users (found by: {judges}): the wire is compatible, but code written "
                "against a client generated from the old spec breaks when it is regenerated. Undo it, "
                "or bump the major version."
            )
        return (
            f"BREAKING: clients generated from the old spec break (found by: {judges}). "
            "Undo it, or bump the major version."
        )

    def changelog(self, today: dt.date | None = None) -> str:
        version = self.new_version if self.version_fits() else self.suggested_version()
        breaking = self.breaking_changes
        sections: dict[str, list[str]] = {name: [] for name in SECTION_ORDER}
        for change in self.changes:
            prefix = "**Breaking:** " if change in breaking else ""
            sections[change.section].append(f"- {prefix}{_sentence(change)}")
        for evidence in self.unexplained:
            finding = evidence.finding
            line = f"- **Breaking:** {finding.operation}: {finding.where}: {finding.message}"
            sections["Changed"].append(line)
        for judge in self.judges:
            if judge.name == "python-sdk" and judge.breaking:
                errors = [f for f in judge.findings if f.level == "error"]
                shown = "; ".join(f"`{f.where}`: {f.text}" for f in errors[:6])
                more = f" (and {len(errors) - 6} more)" if len(errors) > 6 else ""
                sections["Changed"].append(
                    f"- **Breaking for SDK users:** the generated Python client's public API: {shown}{more}"
                )
        if self.bump == "none":
            return "(no entry: the spec did not change)"
        date = (today or dt.date.today()).isoformat()
        lines = [f"## [{version}] - {date}", ""]
        for name in SECTION_ORDER:
            if sections[name]:
                lines += [f"### {name}", "", *sections[name], ""]
        if not any(sections.values()):
            lines += [
                "### Changed",
                "",
                "- Documentation of the spec only; the client's behaviour is unchanged.",
                "",
            ]
        lines.append(f"Spec `info.version` and the `{distribution_name()}` package: {version}.")
        return "\n".join(lines)


def _sentence(change: Change) -> str:
    scope = change.operation
    if change.direction == "response" and change.status and change.location != "status":
        return f"{scope} response {change.status} {change.location}: {change.text}"
    if change.location not in ("operation", "status", "body"):
        return (
            f"{scope} request {change.location}: {change.text}"
            if change.direction == "request"
            else change.text
        )
    return (
        f"{scope} {change.direction} {change.location}: {change.text}"
        if change.location == "body"
        else change.text
    )


def render(outcome: Outcome, *, base_label: str, spec_label: str, seed: int, examples: int) -> str:
    verdict = outcome.verdict
    lines = [
        "# Spec compatibility report",
        "",
        f"**{outcome.headline()}** (exit {outcome.exit_code})",
        "",
        f"- Old spec: {base_label} (`info.version` {outcome.old_version})",
        f"- New spec: {spec_label} (`info.version` {outcome.new_version})",
        f"- Checked: {verdict.requests_checked} requests valid under the old spec against the new one, "
        f"{verdict.responses_checked} responses the new spec allows against the old one "
        f"(schemathesis, positive data, seed {seed}, {examples} generated per operation and response, "
        "plus the specs' examples).",
        f"- Version: {outcome.version_advice()}",
        "",
        "## The judges",
        "",
        "| judge | verdict | errors | warnings |",
        "| --- | --- | --- | --- |",
        f"| wire (schemathesis samples, jsonschema) | {'breaking' if verdict.breaking else 'compatible'} "
        f"| {len(verdict.evidence)} | 0 |",
        *(
            f"| {j.title} | {'incomplete' if j in outcome.gaps else j.verdict} "
            f"| {sum(f.level in ('error', 'gap') for f in j.findings)} | {len(j.warnings)} |"
            for j in outcome.judges
        ),
        "",
        "The verdict is the strictest of the judges; the version bump follows it.",
        "",
        "## Why old clients break (wire judge)",
        "",
    ]
    if not verdict.evidence:
        lines.append("Nothing found: every old request is still accepted, every new response still readable.")
    for evidence in verdict.evidence:
        finding = evidence.finding
        lines.append(f"- {finding.operation}, {finding.where}: {finding.message}")
        if evidence.sample:
            times = f"{evidence.count} sample(s); first: {evidence.sample_source}"
            quoted = evidence.sample.replace("`", "'")
            lines.append(f"  ({times}) `{quoted}`")
        else:
            lines.append(f"  (from {evidence.sample_source})")
    lines += _judge_sections(outcome)
    lines += ["", "## What changed", ""]
    if not outcome.changes:
        lines.append("No change to the contract (operations, parameters, bodies, statuses).")
    breaking = outcome.breaking_changes
    for change in outcome.changes:
        mark = "breaking" if change in breaking else "compatible"
        lines.append(f"- [{mark}] {change.section}: {_sentence(change)}")
    lines += [
        "",
        "## Changelog entry (paste into CHANGELOG.md)",
        "",
        "```markdown",
        outcome.changelog(),
        "```",
        "",
    ]
    return "\n".join(lines)


def _judge_sections(outcome: Outcome) -> list[str]:
    """One section per judge beside the wire: its findings in its own words (rule id, text, place)."""
    lines: list[str] = []
    for judge in outcome.judges:
        lines += ["", f"## {judge.title}", ""]
        if judge.error:
            lines.append(f"Could not run: {judge.error}")
            continue
        if judge.note:
            lines += [judge.note + ".", ""]
        if not judge.findings:
            lines.append("Nothing found.")
        for finding in judge.findings:
            where = f" at `{finding.where}`" if finding.where else ""
            lines.append(f"- {finding.level} [{finding.rule}]{where}: {finding.text.replace(chr(10), ' ')}")
    return lines
