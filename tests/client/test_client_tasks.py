"""The task's life in the client: result reads, waits, submit-and-wait, downloads, callback bodies.

HTTP is scripted at the transport (tests/doubles/http.py) and counted; waits run on a fake clock
(nothing sleeps); downloads go to a local image host (tests/doubles/image_host.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import hidream._wait
from hidream import (
    APIConnectionError,
    APITimeoutError,
    AsyncHiDream,
    DownloadError,
    HiDream,
    InvalidCallbackError,
    InvalidInputError,
    MalformedResponseError,
    MalformedServerError,
    RejectedRequestError,
    RetryPolicy,
    ServerError,
    TaskFailedError,
    TaskRefusedError,
    TaskResult,
    TaskStatus,
    WaitTimeoutError,
    parse_callback,
)
from hidream._results import FINAL_STATUSES
from hidream_contract.spec import RESULT_ID, load, response_examples, result_read, submit
from tests.doubles.http import (
    ACCEPTED,
    BASE_URL,
    PNG,
    TOKEN,
    Script,
    Sleeps,
    async_transport,
    record_sleeps,
    sync_transport,
)
from tests.doubles.image_host import running_image_host

RESULT_URL = BASE_URL + result_read().path
TASK_ID = ACCEPTED["result"]["task_id"]  # type: ignore[index]
EXAMPLES = {name: value for (status, name), value in response_examples(RESULT_ID).items() if status == 200}
EXPECTED = {  # example name -> the task's status, final or not
    "queued": (TaskStatus.QUEUED, False),
    "inProgress": (TaskStatus.IN_PROGRESS, False),
    "succeeded": (TaskStatus.SUCCEEDED, True),
    "failed": (TaskStatus.FAILED, True),
    "refused": (TaskStatus.REFUSED, True),
}


def reply(example: str) -> httpx.Response:
    return httpx.Response(200, json=EXAMPLES[example])


def with_statuses(*statuses: int, image: str = "https://cdn.example.test/out.png") -> dict[str, Any]:
    subs = [
        {"sub_task_id": f"s{i}", "task_status": s, **({"image": image} if s == 1 else {})}
        for i, s in enumerate(statuses)
    ]
    return {"code": 0, "message": "Success", "request_id": "rid", "result": {"sub_task_results": subs}}


def client(script: Script, **options: Any) -> HiDream:
    return HiDream(token=TOKEN, base_url=BASE_URL, http_client=sync_transport(script), **options)


def aclient(script: Script, **options: Any) -> AsyncHiDream:
    return AsyncHiDream(token=TOKEN, base_url=BASE_URL, http_client=async_transport(script), **options)


class FakeClock:
    """Replaces the wait's clock: sleeping advances time at once and is recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        monkeypatch.setattr(hidream._wait, "_now", lambda: self.now)
        monkeypatch.setattr(hidream._wait, "_sleep", self.sleep)
        monkeypatch.setattr(hidream._wait, "_async_sleep", self.async_sleep)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(monkeypatch)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    return record_sleeps(monkeypatch)


def posts(script: Script) -> int:
    return sum(1 for request in script.requests if request.method == "POST")


# --- the result read -------------------------------------------------------------------------------


def test_every_status_example_of_the_spec_is_covered() -> None:
    assert set(EXPECTED) <= set(EXAMPLES)


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_a_result_read_gives_the_typed_result(example: str) -> None:
    script = Script(reply(example))
    with client(script) as c:
        result = c.upscale.result(TASK_ID)
    status, final = EXPECTED[example]
    assert (result.status, result.is_final, result.succeeded) == (
        status,
        final,
        status is TaskStatus.SUCCEEDED,
    )
    assert result.task_id == TASK_ID
    assert result.request_id == EXAMPLES[example]["request_id"]
    sent = [sub["image"] for sub in EXAMPLES[example]["result"]["sub_task_results"] if "image" in sub]
    assert list(result.images) == (sent if status is TaskStatus.SUCCEEDED else [])
    assert result.envelope == EXAMPLES[example]
    request = script.requests[0]
    assert (request.method, request.url.path, request.url.params["task_id"]) == (
        "GET",
        httpx.URL(RESULT_URL).path,
        TASK_ID,
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_final_statuses_are_the_specs() -> None:
    assert {int(s) for s in FINAL_STATUSES} == set(load()["components"]["schemas"]["TaskStatus"]["x-final"])


@pytest.mark.parametrize(
    ("statuses", "status", "final"),
    [
        ((), TaskStatus.QUEUED, False),  # right after the submit: no sub-task listed yet
        ((1, 2), TaskStatus.IN_PROGRESS, False),
        ((1, 3), TaskStatus.FAILED, True),
        ((3, 4), TaskStatus.REFUSED, True),
        ((1, 1), TaskStatus.SUCCEEDED, True),
        ((-1,), TaskStatus.IN_PROGRESS, False),  # a status the spec does not name: not final
    ],
)
def test_the_tasks_status_follows_its_sub_tasks(
    statuses: tuple[int, ...], status: TaskStatus, final: bool
) -> None:
    with client(Script(httpx.Response(200, json=with_statuses(*statuses)))) as c:
        result = c.upscale.result("t")
    assert (result.status, result.is_final) == (status, final)
    assert [sub.status for sub in result.sub_tasks] == list(statuses)


def test_an_unknown_status_stays_a_plain_integer() -> None:
    with client(Script(httpx.Response(200, json=with_statuses(-3)))) as c:
        sub = c.upscale.result("t").sub_tasks[0]
    assert sub.status == -3
    assert not isinstance(sub.status, TaskStatus)
    assert not sub.is_final


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": 0, "message": "ok", "request_id": "r"}, "sub_task_results"),
        (
            {"code": 0, "message": "ok", "request_id": "r", "result": {"sub_task_results": {}}},
            "sub_task_results",
        ),
        (
            {
                "code": 0,
                "message": "ok",
                "request_id": "r",
                "result": {"sub_task_results": [{"task_status": 1}]},
            },
            "sub_task_results[0]",
        ),
        (
            {
                "code": 0,
                "message": "ok",
                "request_id": "r",
                "result": {"sub_task_results": [{"sub_task_id": "s", "task_status": "1"}]},
            },
            "task_status",
        ),
        ({"code": 0, "message": "ok", "result": {"sub_task_results": []}}, "request_id"),
    ],
    ids=["no-result", "not-a-list", "no-sub-task-id", "status-text", "no-request-id"],
)
def test_a_malformed_result_is_a_typed_error_named_by_field(body: dict[str, Any], field: str) -> None:
    script = Script(httpx.Response(200, json=body))
    with client(script) as c, pytest.raises(MalformedResponseError, match=field.replace("[", r"\[")):
        c.upscale.result("t")
    assert script.sent == 1


def test_an_unknown_task_is_a_rejection() -> None:
    script = Script(httpx.Response(200, json={"code": 1001, "message": "task not found", "request_id": "r"}))
    with client(script) as c, pytest.raises(RejectedRequestError, match="task not found"):
        c.upscale.result("no-such-task")


@pytest.mark.parametrize("task_id", ["", "  ", None, 42])
def test_a_missing_task_id_is_refused_before_sending(task_id: Any) -> None:
    script = Script(reply("queued"))
    with client(script) as c, pytest.raises(InvalidInputError, match="task_id"):
        c.upscale.result(task_id)
    assert script.sent == 0


def read_timeout(request: httpx.Request) -> Exception:
    return httpx.ReadTimeout("timed out", request=request)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (read_timeout, APITimeoutError),
        (httpx.Response(503), ServerError),
        (httpx.Response(502, html="<h1>Bad Gateway</h1>"), MalformedServerError),
    ],
    ids=["read-timeout", "503", "html-502"],
)
def test_a_read_retries_what_a_submit_does_not(sleeps: Sleeps, failure: Any, error: type[Exception]) -> None:
    # A GET creates nothing: a lost answer or a 5xx is retried. The same failure ends a submit at once.
    reads = Script(failure, reply("succeeded"))
    with client(reads) as c:
        assert c.upscale.result("t").succeeded
    assert reads.sent == 2
    submits = Script(failure, httpx.Response(200, json=ACCEPTED))
    with client(submits) as c, pytest.raises(error):
        c.upscale.submit("https://cdn.example.test/in.png")
    assert submits.sent == 1


def test_a_read_keeps_the_clients_bounds(sleeps: Sleeps) -> None:
    script = Script(httpx.Response(503))
    with client(script, retry=RetryPolicy.disabled()) as c, pytest.raises(ServerError):
        c.upscale.result("t")
    assert script.sent == 1
    script = Script(httpx.Response(503))
    with client(script, retry=RetryPolicy(max_attempts=4)) as c, pytest.raises(ServerError):
        c.upscale.result("t")
    assert script.sent == 4


def test_the_async_result_read() -> None:
    script = Script(reply("succeeded"))

    async def run() -> TaskResult:
        async with aclient(script) as c:
            return await c.upscale.result(TASK_ID)

    assert anyio.run(run).succeeded
    assert script.requests[0].method == "GET"


# --- waiting ---------------------------------------------------------------------------------------


def test_wait_reads_until_final_on_a_growing_schedule(clock: FakeClock) -> None:
    script = Script(reply("queued"), reply("inProgress"), reply("inProgress"), reply("succeeded"))
    seen: list[TaskStatus] = []
    with client(script) as c:
        result = c.upscale.wait(TASK_ID, on_update=lambda r: seen.append(r.status))
    assert result.images
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert seen == [TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.IN_PROGRESS, TaskStatus.SUCCEEDED]
    assert {r.method for r in script.requests} == {"GET"}


def test_the_schedule_levels_off_at_the_poll_interval(clock: FakeClock) -> None:
    script = Script(*[reply("inProgress")] * 6, reply("succeeded"))
    with client(script) as c:
        c.upscale.wait(TASK_ID, poll_interval=3)
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0, 3.0]


def test_wait_gives_up_at_its_timeout_naming_the_task(clock: FakeClock) -> None:
    script = Script(reply("inProgress"))
    with client(script) as c, pytest.raises(WaitTimeoutError) as caught:
        c.upscale.wait(TASK_ID, timeout=10, poll_interval=5)
    # Reads at 0, 1, 3, 7 and the last at 10 (the deadline), then no more.
    assert clock.sleeps == [1.0, 2.0, 4.0, 3.0]
    assert script.sent == 5
    error = caught.value
    assert error.task_id == TASK_ID
    assert TASK_ID in str(error)
    assert error.result is not None
    assert error.result.status is TaskStatus.IN_PROGRESS
    assert isinstance(error, TimeoutError)


@pytest.mark.parametrize(("example", "error"), [("failed", TaskFailedError), ("refused", TaskRefusedError)])
def test_a_task_that_ended_without_its_image_is_a_typed_error(
    clock: FakeClock, example: str, error: type[Exception]
) -> None:
    with client(Script(reply("queued"), reply(example))) as c, pytest.raises(error) as caught:
        c.upscale.wait(TASK_ID)
    assert caught.value.task_id == TASK_ID  # type: ignore[attr-defined]
    assert caught.value.result.is_final  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"poll_interval": True}, "poll_interval"),
    ],
)
def test_wait_arguments_are_checked_before_anything_is_sent(options: dict[str, Any], field: str) -> None:
    script = Script(reply("succeeded"))
    with client(script) as c, pytest.raises(InvalidInputError, match=field):
        c.upscale.wait("t", **options)
    assert script.sent == 0


def test_the_async_wait(clock: FakeClock) -> None:
    script = Script(reply("queued"), reply("refused"))

    async def run() -> None:
        async with aclient(script) as c:
            await c.upscale.wait(TASK_ID)

    with pytest.raises(TaskRefusedError):
        anyio.run(run)
    assert clock.sleeps == [1.0]


# --- submit and wait -------------------------------------------------------------------------------


def test_submit_and_wait_submits_once_then_only_reads(clock: FakeClock, sleeps: Sleeps) -> None:
    script = Script(
        httpx.Response(200, json=ACCEPTED),
        httpx.Response(503),  # a read failing is retried as a read, never as a new submit
        read_timeout,
        reply("inProgress"),
        reply("succeeded"),
    )
    with client(script) as c:
        result = c.upscale.submit_and_wait(PNG, upsale_ratio=4)
    assert result.task_id == TASK_ID
    assert result.images
    assert posts(script) == 1
    assert script.requests[0].url.path.endswith(submit().path)
    assert json.loads(script.requests[0].content)["upsale_ratio"] == 4


def test_a_timed_out_submit_and_wait_never_submits_again(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=ACCEPTED), reply("queued"))
    with client(script) as c, pytest.raises(WaitTimeoutError, match=TASK_ID):
        c.upscale.submit_and_wait("https://cdn.example.test/in.png", wait_timeout=30)
    assert posts(script) == 1
    assert script.sent > 3


def test_a_bad_wait_argument_costs_no_task() -> None:
    script = Script(httpx.Response(200, json=ACCEPTED))
    with client(script) as c, pytest.raises(InvalidInputError, match="poll_interval"):
        c.upscale.submit_and_wait("https://cdn.example.test/in.png", poll_interval=-5)
    assert script.sent == 0


def test_the_async_submit_and_wait(clock: FakeClock) -> None:
    script = Script(httpx.Response(200, json=ACCEPTED), reply("queued"), reply("succeeded"))

    async def run() -> TaskResult:
        async with aclient(script) as c:
            return await c.upscale.submit_and_wait("https://cdn.example.test/in.png")

    assert anyio.run(run).succeeded
    assert [r.method for r in script.requests] == ["POST", "GET", "GET"]


# --- downloads -------------------------------------------------------------------------------------


def succeeded_with(*urls: str) -> TaskResult:
    body = with_statuses(*[1] * len(urls))
    for sub, url in zip(body["result"]["sub_task_results"], urls, strict=True):
        sub["image"] = url
    with client(Script(httpx.Response(200, json=body))) as c:
        return c.upscale.result("t")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_download_writes_the_image_and_never_sends_the_token(tmp_path: Path) -> None:
    # Even a pool of the user's own that carries the token in its headers, cookies and auth.
    mine = httpx.Client(headers={"X-Mine": TOKEN}, cookies={"session": TOKEN}, auth=("user", TOKEN))
    with running_image_host() as host, HiDream(token=TOKEN, base_url=BASE_URL, http_client=mine) as c:
        paths = c.upscale.download(succeeded_with(host.url("/redirect")), tmp_path / "big.png")
        seen = host.seen
    mine.close()
    assert paths == [tmp_path / "big.png"]
    assert (tmp_path / "big.png").read_bytes() == PNG
    assert leftovers(tmp_path) == ["big.png"]
    assert [path for path, _ in seen] == ["/redirect", "/ok.png"]
    for _, headers in seen:
        assert "authorization" not in {name.lower() for name in headers}
        assert "cookie" not in {name.lower() for name in headers}
        assert all(TOKEN not in value for value in headers.values())


def test_several_images_get_numbered_names(tmp_path: Path) -> None:
    with running_image_host() as host, HiDream(token=TOKEN, base_url=BASE_URL) as c:
        paths = c.upscale.download(
            succeeded_with(host.url("/ok.png"), host.url("/ok.png")), tmp_path / "out.png"
        )
    assert paths == [tmp_path / "out-1.png", tmp_path / "out-2.png"]
    assert all(p.read_bytes() == PNG for p in paths)


@pytest.mark.parametrize(
    ("path", "problem", "status"),
    [
        ("/missing", "HTTP 404", 404),
        ("/page.html", "not a PNG, JPEG or WebP", None),
        ("/huge", "more than the limit", 200),
        ("/chunked-huge", "more than the limit", None),
        ("/loop", "redirected too often", 302),
        ("/to-file", "non-http", 302),
        ("/drip", "not downloaded within", None),
    ],
)
def test_a_failed_download_leaves_no_file_and_the_old_one_untouched(
    tmp_path: Path, path: str, problem: str, status: int | None
) -> None:
    target = tmp_path / "big.png"
    target.write_bytes(b"the previous image")
    with (
        running_image_host() as host,
        HiDream(token=TOKEN, base_url=BASE_URL) as c,
        pytest.raises(DownloadError, match=problem) as caught,
    ):
        c.upscale.download(
            host.url(path) + "?signature=SECRET-SIG", target, max_bytes=1024 * 1024, deadline=1
        )
    assert caught.value.http_status == status
    assert "SECRET-SIG" not in str(caught.value)
    assert target.read_bytes() == b"the previous image"
    assert leftovers(tmp_path) == ["big.png"]


def test_an_unreachable_image_host_is_a_connection_error(tmp_path: Path) -> None:
    with running_image_host() as host:
        url = host.url("/ok.png")
    with HiDream(token=TOKEN, base_url=BASE_URL) as c, pytest.raises(APIConnectionError):
        c.upscale.download(url, tmp_path / "x.png")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("source", "field"),
    [("ftp://example.test/x.png", "url"), (b"bytes", "source")],
)
def test_download_arguments_are_checked(tmp_path: Path, source: Any, field: str) -> None:
    with HiDream(token=TOKEN, base_url=BASE_URL) as c, pytest.raises(InvalidInputError, match=field):
        c.upscale.download(source, tmp_path / "x.png")


def test_a_result_without_image_cannot_be_downloaded(tmp_path: Path) -> None:
    with client(Script(reply("failed"))) as c:
        failed = c.upscale.result("t")
        with pytest.raises(InvalidInputError, match="no output image"):
            c.upscale.download(failed, tmp_path / "x.png")


def test_the_async_download(tmp_path: Path) -> None:
    async def run(url: str, bad: str) -> list[Path]:
        async with AsyncHiDream(token=TOKEN, base_url=BASE_URL) as c:
            with pytest.raises(DownloadError):
                await c.upscale.download(bad, tmp_path / "bad.png")
            return await c.upscale.download(url, tmp_path / "big.png")

    with running_image_host() as host:
        paths = anyio.run(run, host.url("/redirect"), host.url("/page.html"))
    assert paths[0].read_bytes() == PNG
    assert leftovers(tmp_path) == ["big.png"]


# --- callback bodies -------------------------------------------------------------------------------


def callback_example() -> dict[str, Any]:
    post = load()["paths"][submit().path]["post"]["callbacks"]["taskFinished"]
    (operation,) = post.values()
    value: dict[str, Any] = operation["post"]["requestBody"]["content"]["application/json"]["examples"][
        "succeeded"
    ]["value"]
    return value


@pytest.mark.parametrize("form", [bytes, str, dict])
def test_the_specs_callback_example_parses_from_any_form(form: Callable[[Any], Any]) -> None:
    example = callback_example()
    body = json.dumps(example) if form is str else json.dumps(example).encode() if form is bytes else example
    result = parse_callback(body)
    assert result.succeeded
    assert result.images == tuple(sub["image"] for sub in example["result"]["sub_task_results"])
    assert result.envelope == example


def test_a_bare_result_body_parses_and_may_name_its_task() -> None:
    body = with_statuses(3)["result"] | {"task_id": "t-7"}
    result = parse_callback(json.dumps(body).encode())
    assert (result.task_id, result.status, result.is_final) == ("t-7", TaskStatus.FAILED, True)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"not json", "not JSON"),
        (b"[1, 2]", "not an object"),
        (json.dumps({"code": 5, "message": "x"}).encode(), "code"),
        (json.dumps({"code": 0, "result": {"sub_task_results": []}}).encode(), "envelope"),
        (json.dumps({"sub_task_results": [{"sub_task_id": "s"}]}).encode(), "sub_task_results"),
        (json.dumps({"something": "else"}).encode(), "sub_task_results"),
        (b" " * (1024 * 1024 + 1), "bytes"),
        (42, "bytes, text or a mapping"),
    ],
)
def test_a_body_that_is_not_a_task_result_is_refused(body: Any, problem: str) -> None:
    with pytest.raises(InvalidCallbackError, match=problem) as caught:
        parse_callback(body)
    assert isinstance(caught.value, ValueError)
