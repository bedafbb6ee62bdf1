"""The stand-in's result read: tasks move through the statuses, unknown ones are rejected, modes change it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hidream_sim import MODES, OPERATION_PATH, RESULTS_SUFFIX, StandIn, running_standin
from hidream_sim.png import png, png_size

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
IMAGE = "https://storage.example.test/photo.png"
# A PNG whose base64 text spells "fail" (three bytes after IEND, aligned to a whole base64 group):
# only a URL has a name, so this image succeeds (random images held these words by chance).
_PNG = png(4, 4)
_PNG += b"\0" * (-len(_PNG) % 3) + base64.b64decode("fail")
BASE64_SAYING_FAIL = base64.b64encode(_PNG).decode()
TIMEOUT = 5.0


@pytest.fixture
def faithful() -> Iterator[StandIn]:
    with running_standin("faithful", token=TOKEN) as standin:
        yield standin


def submit(standin: StandIn, image: str = IMAGE) -> dict[str, Any]:
    response = requests.post(
        standin.base_url + OPERATION_PATH,
        json={"image": image, "upsale_ratio": 2},
        headers=AUTH,
        timeout=TIMEOUT,
    )
    result: dict[str, Any] = response.json()["result"]
    return result


def read(standin: StandIn, task_id: str | None, headers: dict[str, str] | None = None) -> requests.Response:
    params = {} if task_id is None else {"task_id": task_id}
    return requests.get(
        standin.base_url + OPERATION_PATH + RESULTS_SUFFIX,
        params=params,
        headers=AUTH if headers is None else headers,
        timeout=TIMEOUT,
    )


def statuses(response: requests.Response) -> list[Any]:
    return [sub["task_status"] for sub in response.json()["result"]["sub_task_results"]]


@pytest.mark.parametrize(
    ("image", "final"),
    [(IMAGE, 1), ("https://x.test/fail.png", 3), ("https://x.test/unsafe.png", 4), (BASE64_SAYING_FAIL, 1)],
)
def test_a_task_moves_one_step_per_read(faithful: StandIn, image: str, final: int) -> None:
    task = submit(faithful, image)
    answers = [read(faithful, task["task_id"]) for _ in range(4)]
    assert [statuses(a) for a in answers] == [[0], [2], [final], [final]]
    subs = answers[-1].json()["result"]["sub_task_results"]
    assert [sub["sub_task_id"] for sub in subs] == task["sub_task_ids"]
    assert ("image" in subs[0]) == (final == 1)
    assert all(a.status_code == 200 and a.json()["code"] == 0 for a in answers)
    assert faithful.accepted_tasks == 1  # reads create nothing


def test_the_image_is_served_without_a_token(faithful: StandIn) -> None:
    task = submit(faithful)
    for _ in range(3):
        answer = read(faithful, task["task_id"])
    image = requests.get(answer.json()["result"]["sub_task_results"][0]["image"], timeout=TIMEOUT)
    assert (image.status_code, image.headers["Content-Type"]) == (200, "image/png")
    assert png_size(image.content) == (32, 32)  # a URL counts as 16x16; upsale_ratio 2
    assert (faithful.book.image_requests, faithful.book.image_requests_with_auth) == (1, 0)


@pytest.mark.parametrize("task_id", ["no-such-task", None])
def test_an_unknown_or_missing_task_id_is_rejected(faithful: StandIn, task_id: str | None) -> None:
    answer = read(faithful, task_id)
    assert answer.status_code == 200
    assert answer.json()["code"] != 0
    assert "task_id" in answer.json()["message"]


def test_reads_need_the_token_and_the_get_method(faithful: StandIn) -> None:
    task = submit(faithful)
    assert read(faithful, task["task_id"], headers={}).status_code == 401
    post = requests.post(faithful.base_url + OPERATION_PATH + RESULTS_SUFFIX, headers=AUTH, timeout=TIMEOUT)
    assert (post.status_code, post.headers["Allow"]) == (405, "GET")


def final_answer(mode: str, image: str = IMAGE) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first and the final read of a task in `mode`."""
    with running_standin(mode, token=TOKEN) as standin:
        task = submit(standin, image)
        answers = [read(standin, task["task_id"]).json() for _ in range(3)]
    return answers[0], answers[-1]


def test_each_result_mode_changes_what_it_says() -> None:
    first, final = final_answer("result-extra-fields")
    assert "queue_position" in final["result"]
    assert "progress" in final["result"]["sub_task_results"][0]
    first, _ = final_answer("result-unnamed-status")
    assert first["result"]["sub_task_results"][0]["task_status"] == -1
    _, final = final_answer("result-rename-status")
    assert "task_status" not in final["result"]["sub_task_results"][0]
    _, final = final_answer("result-retype-status")
    assert final["result"]["sub_task_results"][0]["task_status"] == "1"
    _, final = final_answer("result-missing-sub-tasks")
    assert "sub_task_results" not in final["result"]
    _, final = final_answer("result-image-object")
    assert isinstance(final["result"]["sub_task_results"][0]["image"], dict)
    with running_standin("result-accept-unknown-task", token=TOKEN) as standin:
        answer = read(standin, "no-such-task").json()
    assert (answer["code"], answer["result"]["sub_task_results"]) == (0, [])


def test_every_result_mode_is_a_stand_in_mode_of_a_known_kind() -> None:
    names = [name for name in MODES if name.startswith("result-")]
    assert len(names) == 7
    assert {MODES[name].kind for name in names} == {"harmless", "drift"}
