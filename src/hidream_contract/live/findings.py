"""What a live run found: one observation per check that spoke, and the run's outcome (the verdict).

A leaf of the live check: the runner, the answer checks (judge.py), the result reads (results.py)
and the report (report.py) all write or read these, and none of them is imported from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hidream_contract.live.guard import Budget, Traffic
from hidream_contract.live.surface import Sent
from hidream_contract.spec import submit

OPERATION = f"{submit().label} ({submit().operation_id})"


@dataclass
class Observation:
    kind: str  # "drift" | "recorded"
    probe: str
    check: str
    field: str
    spec_says: str
    service_did: str
    reproduce: str
    operation: str = ""  # the operation it is about; "" for the submit (OPERATION)


@dataclass
class LiveResult:
    findings: list[Observation] = field(default_factory=list)
    could_not_run: list[str] = field(default_factory=list)
    probes_run: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # asked, but the budget ran out before them
    left_out_reason: str = ""
    not_asked: list[str] = field(default_factory=list)  # not in HIDREAM_LIVE_PROBES' set
    inconclusive: list[str] = field(default_factory=list)  # sent, but no answer to judge
    sent: list[Sent] = field(default_factory=list)  # what each planned probe carried (coverage)
    operations_answered: set[str] = field(default_factory=set)  # `METHOD /path` that got an answer
    not_exercised: list[str] = field(default_factory=list)  # counted surface items untried (end of run)
    internal_error: bool = False  # a bug of the check: exit 2, whatever else was found
    fuzz_sent: int = 0
    fuzz_drawn: int = 0
    traffic: Traffic = field(default_factory=Traffic)
    budget: Budget = field(default_factory=lambda: Budget(0))
    seconds: float = 0.0

    @property
    def drifts(self) -> list[Observation]:
        return [f for f in self.findings if f.kind == "drift"]

    @property
    def tasks_created(self) -> int:
        """Possible tasks: accepted answers plus answers that never came or could not be read."""
        return self.budget.possible

    @property
    def unjudged(self) -> list[str]:
        """The planned probes sent without a conclusive answer (lost, or a 429/5xx not retried)."""
        return [sent.probe for sent in self.sent if sent.status is None]

    @property
    def incomplete(self) -> bool:
        """Part of the documented surface untried, or a planned probe without a conclusive answer: the
        run cannot say "the service matches the spec". (A result read answered 429 is not: the reads
        are not retried, and the operation counts as exercised once one read was answered.)"""
        return bool(self.not_exercised or self.unjudged)

    @property
    def exit_status(self) -> int:
        """1 drift; 2 could not run, an internal error of the check (never 1), or incomplete; 0 only
        when every documented item was exercised and every answer judged."""
        if self.internal_error:
            return 2
        if self.drifts:
            return 1
        return 2 if self.could_not_run or self.incomplete else 0
