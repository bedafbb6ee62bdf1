"""`hidream-upscale batch INPUT... -o OUTDIR`: a thin layer over `hidream.batch` (progress, Ctrl-C, exits).

A live progress bar (rich) when stdout is a terminal, one plain line per change otherwise; a summary
table at the end. The first Ctrl-C stops submitting at once (submits already sent get their answers
recorded), the second exits immediately; both leave the manifest consistent and say how to resume.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from types import FrameType
from typing import Final, TextIO

from hidream_api_client.models import UpsaleRatio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from hidream import HiDream, RetryPolicy, batch
from hidream._cli_output import (
    EXIT_BATCH_SOME_FAILED,
    EXIT_BATCH_UNFINISHED,
    EXIT_INTERRUPTED,
    Subcommands,
    inert,
    pasteable,
)
from hidream._upscale import DEFAULT_RATIO
from hidream.errors import AuthenticationError, HiDreamError, InvalidInputError

__all__ = ["EXIT_INTERRUPTED", "EXIT_SOME_FAILED", "EXIT_UNFINISHED", "add_batch_command", "run_batch"]

# The codes live in the CLI's one exit table (_cli_output.EXIT_TABLE); batch adds 14 and 15 there.
EXIT_FINISHED: Final = 0
EXIT_SOME_FAILED: Final = EXIT_BATCH_SOME_FAILED
EXIT_UNFINISHED: Final = EXIT_BATCH_UNFINISHED
EPILOG: Final = """\
exit codes (batch):
  0    every input has its output (now or from an earlier run)
  2    bad arguments or an input that does not exist; nothing was sent
  3    no token, or the token was refused; nothing more was submitted
  14   the run ended, but some inputs have no output: their task failed or was refused, the
       submit's answer was lost (see --resubmit-lost), or the input is not an image
  15   unfinished: --max-tasks reached, a task still running when the wait ended, a refused or
       rate-limited submit, or a download failed: run the same command again to continue
  130  interrupted (Ctrl-C): run the same command again to resume
"""
# Rate limits are expected when many inputs are submitted: a 429 (never a billed task) is retried
# more patiently than a single submit's default.
BATCH_RETRY: Final = RetryPolicy(max_attempts=6, max_total_seconds=120.0)


def add_batch_command(commands: Subcommands, epilog: str = "") -> argparse.ArgumentParser:
    """Register `batch` on the CLI's subcommands (its own epilog: batch's exit codes)."""
    parser = commands.add_parser(
        "batch",
        help="upscale many images (files, folders, URL lists); resumable, never pays twice",
        description=(
            "Upscale every input into OUTDIR. Inputs: image files, folders (their PNG/JPEG/WebP "
            "files, recursively), .txt files with one http(s) URL per line, or URLs. A manifest in "
            "OUTDIR records every step: run the same command again to resume; finished inputs are "
            "skipped, accepted tasks are waited for, and nothing is paid for twice."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="file, folder, URL-list .txt or URL")
    parser.add_argument("-o", "--outdir", required=True, metavar="OUTDIR", help="where the outputs go")
    parser.add_argument(
        "--ratio",
        type=int,
        choices=[ratio.value for ratio in UpsaleRatio],
        default=DEFAULT_RATIO,
        help="upscale factor: %(choices)s (default %(default)s)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=batch.DEFAULT_CONCURRENCY,
        metavar="N",
        help="inputs in progress at once (default %(default)s)",
    )
    parser.add_argument(
        "--max-tasks", type=int, metavar="N", help="send at most N submits (billed tasks) in this run"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be submitted and how many tasks; send nothing"
    )
    parser.add_argument("--manifest", metavar="FILE", help=f"default OUTDIR/{batch.MANIFEST_NAME}")
    parser.add_argument(
        "--resubmit-lost",
        action="store_true",
        help="submit again the inputs whose submit's answer was lost (a task may exist: may pay twice)",
    )
    parser.add_argument(
        "--resubmit-failed",
        action="store_true",
        help="submit again the inputs whose task failed or was refused (a new billed task)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace files in OUTDIR that this batch did not write (never a read-only one)",
    )
    parser.add_argument(
        "--wait-timeout",
        type=float,
        default=batch.DEFAULT_WAIT_TIMEOUT,
        metavar="S",
        help="seconds to wait for each task (default %(default)s); the next run waits again",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=batch.DEFAULT_POLL_INTERVAL,
        metavar="S",
        help="longest pause between result reads (default %(default)s)",
    )
    parser.add_argument("--base-url", metavar="URL", help="gateway root (default $HIDREAM_API_BASE_URL)")
    return parser


def exit_code(summary: batch.BatchSummary) -> int:
    """The documented exit code for how a run ended."""
    c = summary.counts
    if summary.interrupted:
        return EXIT_INTERRUPTED
    if summary.aborted:
        return 3
    if c.capped + c.waiting + c.pending + c.not_accepted + c.unsaved:
        return EXIT_UNFINISHED
    if not summary.finished:
        return EXIT_SOME_FAILED
    return EXIT_FINISHED


def _dry_run(the_plan: batch.BatchPlan, out: TextIO) -> int:
    words = {
        batch.SUBMIT: "submit",
        batch.COLLECT: "wait",
        batch.SKIP: "done",
        batch.LOST: "lost",
        batch.FAILED: "failed",
        batch.INVALID: "invalid",
        batch.DUPLICATE: "duplicate",
    }
    for item in the_plan.items:
        extra = f"  task {inert(item.task_id)}" if item.task_id else ""
        extra += f"  ({inert(item.detail)})" if item.detail else ""
        print(f"{words[item.action]:9} {inert(item.source)}{extra}", file=out)
    submits = the_plan.count(batch.SUBMIT)
    cap = "" if the_plan.max_tasks is None else f" (--max-tasks {the_plan.max_tasks}; {submits} to submit)"
    print(
        f"dry run: {the_plan.tasks_to_create} task(s) would be created{cap}, "
        f"{the_plan.count(batch.COLLECT)} accepted task(s) waited for, "
        f"{the_plan.count(batch.SKIP)} input(s) already done; nothing was sent",
        file=out,
    )
    return EXIT_FINISHED


class _Display:
    """Progress: a rich bar on a terminal, plain lines otherwise. Called from the worker threads."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.console = Console(file=out, highlight=False, soft_wrap=True)
        self.out = out
        self.live = self.console.is_terminal
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        if self.live:
            self.progress = Progress(
                TextColumn("[bold]upscaling"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self.task = self.progress.add_task("batch", total=total, status="", rate="")
            self.progress.start()

    def __call__(self, event: batch.BatchEvent) -> None:
        c = event.counts
        if self.progress is not None:
            finished = c.done + c.failed + c.lost + c.not_accepted + c.unsaved + c.waiting + c.capped
            finished += c.invalid + c.skipped + c.duplicate
            elapsed = self.progress.tasks[0].elapsed or 0.0
            rate = f"{c.done / elapsed:.2f} img/s" if elapsed > 0 else ""
            status = (
                f"submitted {c.sent}  running {c.running + c.submitting}  done {c.done}  "
                f"failed {c.failed + c.lost + c.not_accepted + c.unsaved}"
            )
            self.progress.update(self.task, completed=finished, status=status, rate=rate)
            return
        if event.state in ("submitting", "running"):
            return
        line = f"{event.state:12} {inert(event.source)}"
        if event.output:
            line += f" -> {inert(event.output)}"
        if event.task_id and not event.output:
            line += f"  task {inert(event.task_id)}"
        if event.detail:
            line += f"  ({inert(event.detail)})"
        with self.lock:
            print(line, file=self.out, flush=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _summary(summary: batch.BatchSummary, out: TextIO) -> None:
    c = summary.counts
    # A Text, not a str: rich would read markup (`[bold]…`) in the manifest's path.
    table = Table(title=Text(f"batch summary ({summary.elapsed:.1f}s, manifest {inert(summary.manifest)})"))
    table.add_column("inputs")
    table.add_column("count", justify="right")
    table.add_column("meaning")
    rows = (
        ("done", c.done, "upscaled and saved in this run"),
        ("skipped", c.skipped, "already done in an earlier run"),
        ("failed", c.failed, "the task ended without an image (failed or refused)"),
        ("lost", c.lost, "the submit's answer was lost: a task may exist (--resubmit-lost)"),
        ("not accepted", c.not_accepted, "refused or rate limited: no task; the next run retries"),
        ("unsaved", c.unsaved, "succeeded, download failed: the next run downloads again"),
        ("waiting", c.waiting, "not finished when the wait ended: the next run waits again"),
        ("capped", c.capped, "not submitted: --max-tasks reached"),
        ("not started", c.pending, "stopped before they started"),
        ("invalid", c.invalid, "not an image, too large, unreadable"),
        ("duplicate", c.duplicate, "same content as another input: done once"),
    )
    for name, count, meaning in rows:
        if count or name in ("done", "failed"):
            table.add_row(name, str(count), meaning)
    table.add_row("total", str(c.total), f"{c.sent} submit(s) sent in this run")
    console = Console(file=out, highlight=False, soft_wrap=False, width=max(Console(file=out).width, 100))
    console.print(table)
    for event in summary.problems[:50]:
        task = f" task {inert(event.task_id)}" if event.task_id else ""
        console.print(
            f"  {event.state}: {inert(event.source)}{task}: {inert(event.detail or '')}",
            markup=False,
            highlight=False,
        )
    if len(summary.problems) > 50:
        console.print(f"  … and {len(summary.problems) - 50} more: see the manifest", markup=False)


def run_batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`hidream-upscale batch`: returns the exit code."""
    try:
        the_plan = batch.plan(
            args.inputs,
            args.outdir,
            upsale_ratio=args.ratio,
            manifest=args.manifest,
            max_tasks=args.max_tasks,
            resubmit_lost=args.resubmit_lost,
            resubmit_failed=args.resubmit_failed,
            overwrite=args.force,
        )
        if args.dry_run:
            return _dry_run(the_plan, out)
        client = HiDream(base_url=args.base_url, retry=BATCH_RETRY)
    except HiDreamError as error:
        print(f"hidream-upscale: {type(error).__name__}: {inert(error, 2000)}", file=err)
        return 3 if isinstance(error, AuthenticationError) else 2
    stop = threading.Event()
    resume = pasteable(["hidream-upscale", *args.argv])

    def interrupted(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            print("\nhidream-upscale: stopped at once; the manifest is consistent. To resume:", file=err)
            print(f"  {resume}", file=err, flush=True)
            os._exit(EXIT_INTERRUPTED)
        stop.set()
        print(
            "\nhidream-upscale: stopping: no new submits; recording the answers of those sent "
            "(Ctrl-C again to quit at once)",
            file=err,
            flush=True,
        )

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, interrupted) if in_main else None
    display = _Display(out, len(the_plan.items))
    # The client logs each retried 429 as a warning; a batch expects them and counts them in its summary.
    quiet = logging.NullHandler()
    logging.getLogger("hidream").addHandler(quiet)
    try:
        with client:
            summary = batch.run(
                client,
                the_plan,
                concurrency=args.concurrency,
                wait_timeout=args.wait_timeout,
                poll_interval=args.poll_interval,
                on_event=display,
                stop=stop,
            )
    except InvalidInputError as error:
        display.close()
        print(f"hidream-upscale: {type(error).__name__}: {inert(error, 2000)}", file=err)
        return 2
    finally:
        display.close()
        logging.getLogger("hidream").removeHandler(quiet)
        if in_main:
            signal.signal(signal.SIGINT, previous)
    _summary(summary, out)
    code = exit_code(summary)
    if summary.aborted:
        print(f"hidream-upscale: {inert(summary.aborted, 2000)}", file=err)
    if code in (EXIT_INTERRUPTED, EXIT_UNFINISHED):
        print(f"hidream-upscale: unfinished; to resume, run the same command again:\n  {resume}", file=err)
    return code
