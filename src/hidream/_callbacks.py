"""Read the body of a `notify_url` request: the task result, checked as the spec describes it.

A web framework calls `parse_callback(raw_body)` in its handler. The provider's page says the call's
parameters "equal the task result" and names no shape, so both readings the spec allows are accepted:
the result read's envelope (`code` 0 and `result`), or that `result` object itself. The callback
carries no signature: treat it as a hint and confirm with `client.upscale.result(task_id)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final

from hidream_api_client.models import GetUpscaleTaskResultOutcome

from hidream._results import TaskResult, to_result
from hidream.errors import InvalidCallbackError

MAX_CALLBACK_BYTES: Final = 1024 * 1024


def parse_callback(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> TaskResult:
    """The `TaskResult` a `notify_url` request carries, or `InvalidCallbackError` saying what is wrong.

    `body`: the raw request body (bytes or text, JSON, at most `MAX_CALLBACK_BYTES`) or the JSON
    object your framework already parsed. `task_id` of the result is None unless the body names it.
    """
    data = _object(body)
    if "code" in data:
        code = data["code"]
        if isinstance(code, bool) or code != 0:
            raise InvalidCallbackError(f"`code` is {code!r}; the notification of a task result has code 0")
        envelope = data
    else:  # the bare reading is checked as the envelope's `result`
        envelope = {"code": 0, "message": "", "result": data}
    try:
        outcome = GetUpscaleTaskResultOutcome.from_dict(envelope)
    except RecursionError:
        raise InvalidCallbackError("the body is JSON nested too deeply to read") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidCallbackError(f"not the result envelope: {type(error).__name__} {error}") from None
    result = to_result(envelope, outcome, None, error=InvalidCallbackError, http_status=None)
    return replace(result, envelope=data)


def _object(body: object) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        if len(raw) > MAX_CALLBACK_BYTES:
            raise InvalidCallbackError(f"the body has {len(raw)} bytes, more than {MAX_CALLBACK_BYTES}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCallbackError("the body is not UTF-8 text") from None
    elif isinstance(body, str):
        text = body
        if len(text) > MAX_CALLBACK_BYTES:
            raise InvalidCallbackError(f"the body has more than {MAX_CALLBACK_BYTES} characters")
    else:
        raise InvalidCallbackError(f"the body must be bytes, text or a mapping, not {type(body).__name__}")
    try:
        data = json.loads(text)
    except RecursionError:
        raise InvalidCallbackError("the body is JSON nested too deeply to read") from None
    except ValueError as error:
        raise InvalidCallbackError(f"the body is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise InvalidCallbackError(f"the body is JSON {type(data).__name__}, not an object")
    return data
