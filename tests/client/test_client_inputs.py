"""Bad input fails before anything is sent, naming the field and what it accepts; images are checked."""

from __future__ import annotations

import base64
import os
import tracemalloc
from pathlib import Path
from typing import Any

import anyio
import pytest
from hidream_api_client.models import AcceptLanguage, ModelVersion, UpsaleRatio, UpscaleRequest

from hidream import MAX_IMAGE_BYTES, AsyncHiDream, HiDream, InvalidInputError, check_base_url, read_image_file
from hidream._images import image_format, prepare_image
from hidream._upscale import SUBMIT
from hidream_contract.spec import production_base_url, submit
from tests.doubles.http import (
    IMAGE_URL,
    JPEG,
    PNG,
    TOKEN,
    WEBP,
    HostileServer,
    Script,
    async_transport,
    ok,
    sync_transport,
)

PNG_B64 = base64.b64encode(PNG).decode()
# The spec's values (the generated enum), and an integer that is not one of them.
RATIOS = tuple(ratio.value for ratio in UpsaleRatio)
NOT_A_RATIO = next(n for n in range(3, 100) if n not in RATIOS)


@pytest.fixture
def script() -> Script:
    return Script(ok())


@pytest.fixture
def client(script: Script) -> HiDream:
    return HiDream(token=TOKEN, http_client=sync_transport(script))


@pytest.mark.parametrize(
    ("arguments", "field", "allowed"),
    [
        ({"upsale_ratio": NOT_A_RATIO}, "upsale_ratio", RATIOS),
        ({"upsale_ratio": str(RATIOS[-1])}, "upsale_ratio", RATIOS),
        ({"upsale_ratio": True}, "upsale_ratio", RATIOS),
        ({"upsale_ratio": float(RATIOS[-1])}, "upsale_ratio", RATIOS),
        ({"version": "v2"}, "version", tuple(version.value for version in ModelVersion)),
        ({"language": "fr"}, "language", tuple(language.value for language in AcceptLanguage)),
        ({"notify_url": "example.com/cb"}, "notify_url", ("http://…", "https://…")),
        ({"notify_url": "ftp://example.com/cb"}, "notify_url", ("http://…", "https://…")),
        ({"notify_url": "/relative/cb"}, "notify_url", ("http://…", "https://…")),
        ({"notify_url": "https://"}, "notify_url", ("http://…", "https://…")),
    ],
)
def test_a_bad_value_names_the_field_and_the_allowed_values_and_sends_nothing(
    client: HiDream, script: Script, arguments: dict[str, Any], field: str, allowed: tuple[object, ...]
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        client.upscale.submit(IMAGE_URL, **arguments)
    assert raised.value.field == field
    assert raised.value.allowed == allowed
    assert str(raised.value).startswith(f"{field}: ")
    for value in allowed:
        assert repr(value) in str(raised.value)
    assert isinstance(raised.value, ValueError)  # a plain `except ValueError` catches it too
    assert script.sent == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"request_id": 12}, "request_id"),
        ({"user_id": "a\r\nX-Evil: 1"}, "user_id"),
        ({"user_id": "名字"}, "user_id"),
    ],
)
def test_text_fields_are_checked_too(
    client: HiDream, script: Script, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError, match=f"^{field}: "):
        client.upscale.submit(IMAGE_URL, **arguments)
    assert script.sent == 0


def test_valid_arguments_reach_the_wire_as_the_spec_names_them(client: HiDream, script: Script) -> None:
    client.upscale.submit(
        IMAGE_URL,
        upsale_ratio=4,
        notify_url="https://hooks.example.test/done",
        version="v1",
        request_id="req-7",
        language="en",
        user_id="user-42",
    )
    assert script.sent == 1
    request = script.requests[0]
    assert request.method == "POST"
    assert str(request.url) == production_base_url() + submit().path
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-accept-language"] == "en"
    assert request.headers["API-User-ID"] == "user-42"
    assert request.headers["Content-Type"] == "application/json"
    assert script.body() == {
        "image": IMAGE_URL,
        "upsale_ratio": 4,
        "version": "v1",
        "notify_url": "https://hooks.example.test/done",
        "request_id": "req-7",
    }


def test_optional_fields_left_out_are_not_sent(client: HiDream, script: Script) -> None:
    client.upscale.submit(IMAGE_URL)
    assert script.body() == {"image": IMAGE_URL, "upsale_ratio": 2, "version": "v1"}
    assert "X-accept-language" not in script.requests[0].headers
    assert "API-User-ID" not in script.requests[0].headers


@pytest.mark.parametrize(
    ("data", "name"), [(PNG, "PNG"), (JPEG, "JPEG"), (WEBP, "WebP"), (b"GIF89a...", None)]
)
def test_formats_are_recognised_by_their_first_bytes(data: bytes, name: str | None) -> None:
    assert image_format(data) == name


@pytest.mark.parametrize("data", [PNG, JPEG, WEBP])
def test_bytes_a_path_and_a_path_string_become_base64(tmp_path: Path, data: bytes) -> None:
    expected = base64.b64encode(data).decode()
    file = tmp_path / "picture.bin"  # the name does not matter, the content does
    file.write_bytes(data)
    assert prepare_image(data) == expected
    assert prepare_image(bytearray(data)) == expected
    assert prepare_image(file) == expected
    assert prepare_image(str(file)) == expected


def test_base64_text_is_checked_and_normalised() -> None:
    wrapped = "\n".join(PNG_B64[i : i + 20] for i in range(0, len(PNG_B64), 20)) + "\n"
    assert prepare_image(wrapped) == PNG_B64
    assert prepare_image(f"data:image/png;base64,{PNG_B64}") == PNG_B64


def test_urls_are_sent_unchanged() -> None:
    assert prepare_image(" https://cdn.example.test/a b.png ") == "https://cdn.example.test/a b.png"
    assert prepare_image("http://cdn.example.test/x.jpg?sig=1") == "http://cdn.example.test/x.jpg?sig=1"


def test_the_client_sends_a_local_file_as_base64(client: HiDream, script: Script, tmp_path: Path) -> None:
    file = tmp_path / "photo.png"
    file.write_bytes(PNG)
    client.upscale.submit(file, upsale_ratio=2)
    assert script.body()["image"] == PNG_B64


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (b"GIF89a\x01\x00\x01\x00", "not a PNG, JPEG or WebP"),
        (b"", "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("photo.png", r"neither an http\(s\) URL, an existing file, nor base64"),
        ("https:///nohost.png", r"not a valid http\(s\) URL"),
        (base64.b64encode(b"plain text, not an image").decode(), "not a PNG, JPEG or WebP"),
        ("data:image/png;base64,@@@", "does not hold valid base64"),
        ("x" * 5001, "neither an http"),
        ("x" * 5000, "base64 text is not a PNG"),
        (12345, "not int"),
    ],
)
def test_images_that_cannot_be_sent_are_refused_with_the_reason(image: Any, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason) as raised:
        prepare_image(image)
    assert raised.value.field == "image"


def test_missing_and_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read file"):
        prepare_image(tmp_path / "missing.png")
    with pytest.raises(InvalidInputError, match="cannot read file"):
        prepare_image(tmp_path)  # a directory


def test_the_size_limit_holds_for_files_bytes_and_base64(tmp_path: Path) -> None:
    limit = 1024
    big = PNG + b"\x00" * limit
    file = tmp_path / "big.png"
    file.write_bytes(big)
    for image in (big, file, base64.b64encode(big).decode()):
        with pytest.raises(InvalidInputError, match="limit"):
            prepare_image(image, max_bytes=limit)
    assert prepare_image(PNG, max_bytes=len(PNG)) == PNG_B64  # exactly at the limit is fine
    assert MAX_IMAGE_BYTES == 10 * 1024 * 1024


def test_base64_of_more_than_the_default_limit_is_refused_before_decoding() -> None:
    too_long = "A" * ((MAX_IMAGE_BYTES // 3 + 2) * 4)
    with pytest.raises(InvalidInputError, match="more than the limit"):
        prepare_image(too_long)


# --- hostile inputs (issue 15): checked for what the wire allows before anything is sent ----------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):  # pragma: no cover - not on Windows
        pytest.skip("no FIFOs here")
    path = tmp_path / "photo.png"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("as_text", [False, True], ids=["path", "str"])
def test_a_fifo_is_refused_without_hanging(fifo: Path, as_text: bool) -> None:
    # Opening a FIFO for reading blocks until a writer comes: the client must not even do that.
    with pytest.raises(InvalidInputError, match="FIFO") as raised:
        prepare_image(str(fifo) if as_text else fifo)
    assert "not a regular file" in raised.value.message


def test_a_symlink_to_a_device_is_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    link = tmp_path / "photo.png"
    link.symlink_to("/dev/zero")  # st_size 0, endless: the old size check read until memory ran out
    with pytest.raises(InvalidInputError, match="character device"):
        prepare_image(link)


def test_the_size_limit_is_enforced_while_reading_not_from_st_size(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.png"
    with sparse.open("wb") as file:
        file.write(PNG)
        file.truncate(256 * 2**20)  # 256 MiB on paper, nothing on disk
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInputError, match="more than the limit of 1024 bytes"):
            read_image_file(sparse, max_bytes=1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # never more than the limit (and a byte) was read


def test_a_file_whose_size_the_file_system_does_not_know_is_read_bounded() -> None:
    status = Path("/proc/self/status")
    if not status.exists():  # pragma: no cover - Linux only
        pytest.skip("no /proc")
    assert status.stat().st_size == 0
    assert read_image_file(status, max_bytes=10_000).startswith(b"Name:")
    with pytest.raises(InvalidInputError, match="more than the limit of 10 bytes"):
        read_image_file(status, max_bytes=10)


def test_a_refused_file_is_not_quoted(tmp_path: Path) -> None:
    # A file picked by mistake may hold a secret: the error says what it looks like, not what it says.
    mistake = tmp_path / "token.txt"
    mistake.write_text("sk-live-0123456789abcdef\n")
    with pytest.raises(InvalidInputError, match="looks like text") as raised:
        prepare_image(mistake)
    assert "sk-live" not in str(raised.value)


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("https://gw.test/api\r\nX-Evil: 1", "line break"),
        ("https://gw.test/a\x00b", "control character"),
        ("https://gw.test/a b", "whitespace"),
        ("https://user:pw@gw.test/api", "credentials"),
        ("https://gw.test/api?key=1", "query or fragment"),
        ("https://gw.test/api#top", "query or fragment"),
        ("https://gw.test:99999/api", "invalid port"),
    ],
)
def test_a_base_url_the_wire_cannot_carry_is_refused(base_url: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem) as raised:
        HiDream(token=TOKEN, base_url=base_url)
    assert raised.value.field == "base_url"
    assert check_base_url("https://gw.test/api/") == "https://gw.test/api"  # the public check, same rules


@pytest.mark.parametrize(
    ("notify_url", "problem"),
    [
        ("https://hooks.test/done\n", None),  # surrounding whitespace is stripped
        ("https://user:pw@hooks.test/done", "credentials"),
        ("https://hooks.test/\x1b[2Jdone", "control character"),
        ("https://hooks.test/a done", "whitespace"),
    ],
)
def test_a_notify_url_is_checked_like_a_url(
    client: HiDream, script: Script, notify_url: str, problem: str | None
) -> None:
    if problem is None:
        client.upscale.submit(IMAGE_URL, notify_url=notify_url)
        assert script.body()["notify_url"] == notify_url.strip()
        return
    with pytest.raises(InvalidInputError, match=problem) as raised:
        client.upscale.submit(IMAGE_URL, notify_url=notify_url)
    assert raised.value.field == "notify_url"
    assert script.sent == 0


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"X Env": "a"}, "default_headers"),
        ({"X-Env:": "a"}, "default_headers"),
        ({"": "a"}, "default_headers"),
        ({"X-Env": " padded "}, "default_headers['X-Env']"),
        ({"X-Env": "naïve-€"}, "default_headers['X-Env']"),
    ],
)
def test_header_names_and_values_are_checked(headers: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        HiDream(token=TOKEN, default_headers=headers)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"user_id": " u-42"}, "user_id"), ({"request_id": "id-\ud800"}, "request_id")],
    ids=["padded-header", "lone-surrogate"],
)
def test_values_that_would_fail_inside_httpx_are_refused_first(
    client: HiDream, script: Script, arguments: dict[str, Any], field: str
) -> None:
    # Before, these ended as an APIConnectionError (h11) or a bare UnicodeEncodeError from httpx.
    with pytest.raises(InvalidInputError, match=f"^{field}: "):
        client.upscale.submit(IMAGE_URL, **arguments)
    assert script.sent == 0


def test_async_inputs_are_checked_before_sending_too() -> None:
    script = Script(ok())

    async def run() -> None:
        async with AsyncHiDream(token=TOKEN, http_client=async_transport(script)) as client:
            with pytest.raises(InvalidInputError, match=r"^notify_url: "):
                await client.upscale.submit(IMAGE_URL, notify_url="https://a:b@hooks.test/")
            with pytest.raises(InvalidInputError, match=r"^request_id: "):
                await client.upscale.submit(IMAGE_URL, request_id="\udfff")

    anyio.run(run)
    assert script.sent == 0


@pytest.mark.parametrize("value", ["a\r\nX-Evil: 1", "名字"], ids=["line-break", "not-latin-1"])
def test_the_generic_call_turns_a_header_httpx_cannot_send_into_a_typed_error(value: str) -> None:
    # `call()` passes arguments to the generated builder unchecked; what HTTP cannot carry is still
    # refused before a byte leaves (h11 or httpx's encoder), as an InvalidInputError, never sent.
    with HostileServer(lambda server, connection, request: None) as server:
        with HiDream(token=TOKEN, base_url=server.url) as client, pytest.raises(InvalidInputError) as raised:
            client.call(
                SUBMIT, body=UpscaleRequest(image=IMAGE_URL, upsale_ratio=UpsaleRatio.X2), api_user_id=value
            )
        assert server.received == []
    assert raised.value.field == "request"
    assert value not in str(raised.value)
