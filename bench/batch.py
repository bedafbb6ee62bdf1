"""The batch command (`hidream.batch`, issue 23): throughput against one by one, and memory as inputs grow.

- Throughput: the same inputs upscaled end to end (submit, wait, download) against the simulator
  (`python -m hidream_sim`, a child process as a service would be): `hidream.batch.run` at its
  default concurrency against a plain loop calling `submit_and_wait` and `download` for one input
  after the other — the shell loop people write today.
  Images per second; subject and baseline alternate order every round.
- Memory: the tracemalloc peak of a whole `hidream.batch.run` (plan, manifest, workers) over 10,000
  inputs against the same over 1,000, with an in-process client that answers at once (no network: what
  is measured is the batch's own memory). Flat means the peak does not follow the number of inputs or
  their size: images are streamed to hash them and read one at a time to send them.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import hidream
import hidream.batch
from bench.local_server import simulator_child
from bench.measure import Goal, Result, Target
from hidream import SubTask, TaskResult, TaskStatus, UpscaleTask

TOKEN = "bench-batch-token"  # noqa: S105 - what the local stand-in accepts; not a secret
POLL_S = 0.05  # the stand-in's tasks move one status per read: both sides read at this pace
IMAGE_BYTES = 4096
# The memory runs write their manifest (30,000 fsynced lines at 10k inputs) to RAM where there is one:
# what they measure is memory; on a disk each fsync costs milliseconds of waiting, not memory.
RAM_DIR = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - a scratch dir, removed after


@dataclass(frozen=True)
class BatchSizes:
    rounds: int = 3
    inputs: int = 120  # per throughput round
    small: int = 1_000  # memory: the baseline's inputs
    large: int = 10_000  # memory: the subject's inputs


QUICK_BATCH_SIZES = BatchSizes(rounds=1, inputs=12, small=50, large=200)


def _images(folder: Path, count: int, tag: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    filler = os.urandom(IMAGE_BYTES)
    for n in range(count):
        (folder / f"img-{n:05d}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + f"{tag}-{n}".encode() + filler)


def _standin() -> AbstractContextManager[str]:
    return simulator_child(TOKEN)


def _batch(client: hidream.HiDream, inputs: Path, out: Path) -> float:
    start = time.perf_counter()
    summary = hidream.batch.run(client, [inputs], out, poll_interval=POLL_S)
    seconds = time.perf_counter() - start
    if summary.counts.done != summary.counts.total:
        raise RuntimeError(f"the batch did not finish: {summary.counts}")
    return summary.counts.done / seconds


def _one_by_one(client: hidream.HiDream, inputs: Path, out: Path) -> float:
    files = sorted(inputs.iterdir())
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for path in files:
        result = client.upscale.submit_and_wait(path, poll_interval=POLL_S)
        client.upscale.download(result, out / f"{path.stem}_x2.png")
    return len(files) / (time.perf_counter() - start)


def throughput(sizes: BatchSizes) -> Result:
    subject: list[float] = []
    baseline: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch, _standin() as base_url:
        root = Path(scratch)
        with hidream.HiDream(token=TOKEN, base_url=base_url) as client:
            _images(root / "warm", 4, "warm")
            _batch(client, root / "warm", root / "warm-out")  # unmeasured: connections, imports
            for n in range(sizes.rounds):
                pair = []
                for side in ("batch", "loop") if n % 2 == 0 else ("loop", "batch"):
                    inputs = root / f"in-{n}-{side}"
                    _images(inputs, sizes.inputs, f"{n}-{side}")  # fresh content: no input is done yet
                    run = _batch if side == "batch" else _one_by_one
                    pair.append((side, run(client, inputs, root / f"out-{n}-{side}")))
                figures = dict(pair)
                subject.append(figures["batch"])
                baseline.append(figures["loop"])
    return Result(
        name=f"batch: {sizes.inputs} images upscaled end to end (submit, wait, download)",
        subject=f"hidream.batch.run, concurrency {hidream.batch.DEFAULT_CONCURRENCY}",
        baseline="submit_and_wait + download, one by one",
        unit="images/s",
        subject_values=tuple(subject),
        baseline_values=tuple(baseline),
        target=Target(Goal.RATIO_AT_LEAST, 2.5),
        note="the stand-in in its own process; both read results every 0.05 s",
        key="batch-throughput",
    )


class _InstantClient:
    """Answers at once, in process: submit, result (succeeded) and download (a small file, atomically)."""

    def __init__(self) -> None:
        self.upscale = self
        self._count = 0

    def submit(self, image: Any, **_: Any) -> UpscaleTask:
        self._count += 1
        task_id = f"task-{self._count}"
        return UpscaleTask(task_id, (f"sub-{self._count}",), f"req-{self._count}", "ok", envelope={})

    def result(self, task_id: str) -> TaskResult:
        sub = SubTask(task_id, TaskStatus.SUCCEEDED, f"https://files.invalid/{task_id}.png")
        return TaskResult(task_id, (sub,), "req", "ok", envelope={})

    def download(self, result: TaskResult, path: str | os.PathLike[str], **_: Any) -> list[Path]:
        target = Path(path)
        temporary = target.with_name(f".{target.name}.tmp.part")
        temporary.write_bytes(b"\x89PNG\r\n\x1a\n")
        temporary.replace(target)
        return [target]


def _peak(count: int, root: Path) -> tuple[int, float]:
    inputs = root / f"in-{count}"
    _images(inputs, count, str(count))
    tracemalloc.start()
    try:
        start = time.perf_counter()
        summary = hidream.batch.run(
            cast("hidream.HiDream", _InstantClient()), [inputs], root / f"out-{count}"
        )
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if summary.counts.done != count:
        raise RuntimeError(f"the batch did not finish: {summary.counts}")
    return peak, seconds


def memory(sizes: BatchSizes) -> Result:
    subject: list[float] = []
    baseline: list[float] = []
    per_input: list[float] = []
    for _ in range(sizes.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-batch-mem-", dir=RAM_DIR) as scratch:
            small, _ = _peak(sizes.small, Path(scratch))
            large, _ = _peak(sizes.large, Path(scratch))
        subject.append(large / 2**20)
        baseline.append(small / 2**20)
        per_input.append((large - small) / (sizes.large - sizes.small))
    ratio_inputs = sizes.large / sizes.small
    return Result(
        name=f"batch: memory peak, {sizes.large:,} inputs against {sizes.small:,} (tracemalloc)",
        subject=f"{sizes.large:,} inputs",
        baseline=f"{sizes.small:,} inputs",
        unit="MiB",
        subject_values=tuple(subject),
        baseline_values=tuple(baseline),
        target=Target(Goal.RATIO_AT_MOST, ratio_inputs / 2),
        note=(
            f"{ratio_inputs:g}x the inputs; {IMAGE_BYTES // 1024} KiB images; "
            f"about {sorted(per_input)[len(per_input) // 2]:.0f} bytes more per input (the plan's index)"
        ),
        key="batch-memory",
    )


def batch_benchmarks(sizes: BatchSizes) -> list[Result]:
    return [throughput(sizes), memory(sizes)]
