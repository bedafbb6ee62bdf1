"""A client for the HiDream AI image API that people want to use (hand-written; wraps `hidream_api_client`).

    from hidream import HiDream
    client = HiDream()  # token from HIDREAM_API_TOKEN
    task = client.upscale.submit(image="photo.png", upsale_ratio=4)
    print(task.task_id, task.sub_task_ids, task.request_id)

See the README's "The client" section for errors, retries, timeouts, logging and the CLI.

`Secret` and the `check_*` functions are public so that other tools (the contract tooling) hold the
token and check their inputs by the client's rules.
"""

from httpx import Timeout

from hidream._callbacks import MAX_CALLBACK_BYTES, parse_callback
from hidream._client import AsyncHiDream, HiDream
from hidream._core import DEFAULT_BASE_URL, DEFAULT_DEADLINE, DEFAULT_TIMEOUT, NOT_GIVEN, Endpoint
from hidream._download import MAX_DOWNLOAD_BYTES
from hidream._envelope import MAX_RESPONSE_BYTES
from hidream._images import MAX_IMAGE_BYTES, read_image_file
from hidream._model import SubTask, TaskResult, TaskStatus, UpscaleTask
from hidream._retry import RetryPolicy
from hidream._secret import REDACTED, Secret
from hidream._validation import check_base_url, check_header, check_token, check_url
from hidream._version import __version__
from hidream.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    DownloadError,
    HiDreamError,
    InvalidCallbackError,
    InvalidInputError,
    MalformedResponseError,
    MalformedServerError,
    RateLimitError,
    RejectedRequestError,
    ServerError,
    TaskError,
    TaskFailedError,
    TaskRefusedError,
    UnknownTaskStatusError,
    WaitTimeoutError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "MAX_CALLBACK_BYTES",
    "MAX_DOWNLOAD_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_RESPONSE_BYTES",
    "NOT_GIVEN",
    "REDACTED",
    "APIConnectionError",
    "APITimeoutError",
    "AsyncHiDream",
    "AuthenticationError",
    "DownloadError",
    "Endpoint",
    "HiDream",
    "HiDreamError",
    "InvalidCallbackError",
    "InvalidInputError",
    "MalformedResponseError",
    "MalformedServerError",
    "RateLimitError",
    "RejectedRequestError",
    "RetryPolicy",
    "Secret",
    "ServerError",
    "SubTask",
    "TaskError",
    "TaskFailedError",
    "TaskRefusedError",
    "TaskResult",
    "TaskStatus",
    "Timeout",
    "UnknownTaskStatusError",
    "UpscaleTask",
    "WaitTimeoutError",
    "__version__",
    "check_base_url",
    "check_header",
    "check_token",
    "check_url",
    "parse_callback",
    "read_image_file",
]
