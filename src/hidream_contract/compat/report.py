"""The gate's outcome: the version the change calls for, the exit status, and the Markdown report
with the changelog entry to paste into CHANGELOG.md."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from hidream_contract.compat.changes import Change
from hidream_contract.compat.judge import Evidence, Finding, Verdict
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
        if self.verdict.breaking:
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
        return 1 if self.verdict.breaking and not self.major_bumped else 0

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
        if not self.verdict.breaking:
            return "COMPATIBLE: clients generated from the old spec keep working."
        if self.major_bumped:
            return f"BREAKING, released as a new major version ({self.old_version} → {self.new_version})."
        return "BREAKING: clients generated from the old spec break. Undo it, or bump the major version."

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
        "## Why old clients break",
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
