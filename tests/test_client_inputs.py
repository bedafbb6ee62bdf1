"""Bad input fails before anything is sent, naming the field and what it accepts; images are checked."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from hidream import MAX_IMAGE_BYTES, HiDream, InvalidInputError
from hidream._images import image_format, prepare_image
from hidream_contract.spec import production_base_url, submit
from tests.doubles.http import IMAGE_URL, JPEG, PNG, TOKEN, WEBP, Script, ok, sync_transport

PNG_B64 = base64.b64encode(PNG).decode()


@pytest.fixture
def script() -> Script:
    return Script(ok())


@pytest.fixture
def client(script: Script) -> HiDream:
    return HiDream(token=TOKEN, http_client=sync_transport(script))


@pytest.mark.parametrize(
    ("arguments", "field", "allowed"),
    [
        ({"upsale_ratio": 3}, "upsale_ratio", (2, 4)),
        ({"upsale_ratio": "4"}, "upsale_ratio", (2, 4)),
        ({"upsale_ratio": True}, "upsale_ratio", (2, 4)),
        ({"upsale_ratio": 4.0}, "upsale_ratio", (2, 4)),
        ({"version": "v2"}, "version", ("v1",)),
        ({"language": "fr"}, "language", ("en", "zh")),
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
