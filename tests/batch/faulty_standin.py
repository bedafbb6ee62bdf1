"""The stand-in with a service's bad days at random: rate limits, lost answers, gateway 502s (test double).

    with running_faulty_standin(token, rate_limited=0.2, lost=0.05, seed=1) as standin:
        standin.base_url                 # as the stand-in's
        standin.tasks_per_image          # Counter: image (URL or base64) -> tasks created for it
        standin.lost_answers             # tasks created whose answer never reached the client

It is the simulator (hidream_sim) in its faithful mode, with the submit's last step replaced:
a submit is answered 429 (no task) with probability `rate_limited`; else the task is created and, with
probability `lost`, its answer is lost (the connection closes, or a gateway answers an HTML 502).
Result reads and images are the stand-in's own: a task is final on its third read, failed when its
image's name contains "fail", refused when it contains "unsafe".
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hidream_sim import StandIn
from hidream_sim.server import GATEWAY_502, RESET, Answer, _Call
from hidream_sim.serving import StandInServer


@dataclass
class Faults:
    rate_limited: float = 0.0
    lost: float = 0.0
    seed: int = 0
    answer_delay: float = 0.0  # seconds between creating a task and answering (a slow service)
    rng: random.Random = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tasks_per_image: Counter[str] = field(default_factory=Counter)
    lost_answers: int = 0
    rate_limits: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible faults, not secrets

    def fate(self) -> str:
        with self.lock:
            roll = self.rng.random()
            if roll < self.rate_limited:
                self.rate_limits += 1
                return "429"
            if roll < self.rate_limited + self.lost:
                self.lost_answers += 1
                return "reset" if self.rng.random() < 0.5 else "502"
            return "ok"

    def created(self, image: str) -> None:
        with self.lock:
            self.tasks_per_image[image] += 1


class _FaultyCall(_Call):
    faults: Faults

    def _task(self, body: dict[str, Any]) -> None:
        fate = self.faults.fate()
        if fate == "429":
            self._send(429, self._error(429, "Too many requests"), extra={"Retry-After": "0"})
            return
        self.server.count_task(billed=True)  # the batch tests always send the token
        self.faults.created(str(body.get("image")))
        envelope = self._success(body)  # the task exists from here on
        self.delay = self.faults.answer_delay  # the HTTP layer waits this long before answering
        if fate == "reset":
            self.answer = Answer(0, action=RESET)
        elif fate == "502":
            # A gateway that closes says so: without `Connection: close` the client would pool the
            # connection and, under load, send the next submit into the close (a second lost answer).
            self._send_raw(502, GATEWAY_502, "text/html", extra={"Connection": "close"})
        else:
            self._send(200, envelope)


class FaultyStandIn(StandIn):
    def __init__(self, server: StandInServer, faults: Faults) -> None:
        super().__init__(server)
        self.faults = faults

    @property
    def tasks_per_image(self) -> Counter[str]:
        with self.faults.lock:
            return Counter(self.faults.tasks_per_image)


@contextmanager
def running_faulty_standin(
    token: str, *, rate_limited: float = 0.0, lost: float = 0.0, seed: int = 0, answer_delay: float = 0.0
) -> Iterator[FaultyStandIn]:
    """Serve it on a free port of 127.0.0.1 in a background thread for the block."""
    faults = Faults(rate_limited, lost, seed, answer_delay)
    server = StandInServer("faithful", token)
    server.service.call_class = type("Call", (_FaultyCall,), {"faults": faults})
    try:
        server.start()
        yield FaultyStandIn(server, faults)
    finally:
        server.shutdown()
        server.server_close()
