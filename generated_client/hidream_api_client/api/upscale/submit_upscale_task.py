from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.accept_language import AcceptLanguage
from ...models.error_envelope import ErrorEnvelope
from ...models.submit_upscale_task_outcome import SubmitUpscaleTaskOutcome
from ...models.upscale_request import UpscaleRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: UpscaleRequest,
    x_accept_language: AcceptLanguage | Unset = AcceptLanguage.ZH,
    api_user_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_accept_language, Unset):
        headers["X-accept-language"] = str(x_accept_language)

    if not isinstance(api_user_id, Unset):
        headers["API-User-ID"] = api_user_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/image/image_upscaler/async",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorEnvelope | SubmitUpscaleTaskOutcome | None:
    if response.status_code == 200:
        response_200 = SubmitUpscaleTaskOutcome.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorEnvelope.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorEnvelope.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorEnvelope.from_dict(response.json())

        return response_403

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorEnvelope | SubmitUpscaleTaskOutcome]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: UpscaleRequest,
    x_accept_language: AcceptLanguage | Unset = AcceptLanguage.ZH,
    api_user_id: str | Unset = UNSET,
) -> Response[ErrorEnvelope | SubmitUpscaleTaskOutcome]:
    """Submit an image-upscale task / 提交图片增强任务

     Creates an asynchronous upscale task for one image and returns its task id at once; the
    upscaled image is produced later (each output image is one sub-task). A call that is
    accepted (`code` 0) creates a real, billed task.

    为一张图片创建异步增强任务,并立即返回任务 ID;增强后的图片稍后生成(每张输出图片对应一个子任务)。
    被受理(`code` 为 0)的调用会创建真实的计费任务。

    Args:
        x_accept_language (AcceptLanguage | Unset): A language of the service's `message` (the
            `X-accept-language` header's values, one type shared by
            every operation that takes the header). / `message` 的语言(`X-accept-language` 的取值,各接口共用)。
             Default: AcceptLanguage.ZH.
        api_user_id (str | Unset):
        body (UpscaleRequest): An image-upscale task. / 图片增强任务参数。

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorEnvelope | SubmitUpscaleTaskOutcome]
    """

    kwargs = _get_kwargs(
        body=body,
        x_accept_language=x_accept_language,
        api_user_id=api_user_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: UpscaleRequest,
    x_accept_language: AcceptLanguage | Unset = AcceptLanguage.ZH,
    api_user_id: str | Unset = UNSET,
) -> ErrorEnvelope | SubmitUpscaleTaskOutcome | None:
    """Submit an image-upscale task / 提交图片增强任务

     Creates an asynchronous upscale task for one image and returns its task id at once; the
    upscaled image is produced later (each output image is one sub-task). A call that is
    accepted (`code` 0) creates a real, billed task.

    为一张图片创建异步增强任务,并立即返回任务 ID;增强后的图片稍后生成(每张输出图片对应一个子任务)。
    被受理(`code` 为 0)的调用会创建真实的计费任务。

    Args:
        x_accept_language (AcceptLanguage | Unset): A language of the service's `message` (the
            `X-accept-language` header's values, one type shared by
            every operation that takes the header). / `message` 的语言(`X-accept-language` 的取值,各接口共用)。
             Default: AcceptLanguage.ZH.
        api_user_id (str | Unset):
        body (UpscaleRequest): An image-upscale task. / 图片增强任务参数。

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorEnvelope | SubmitUpscaleTaskOutcome
    """

    return sync_detailed(
        client=client,
        body=body,
        x_accept_language=x_accept_language,
        api_user_id=api_user_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: UpscaleRequest,
    x_accept_language: AcceptLanguage | Unset = AcceptLanguage.ZH,
    api_user_id: str | Unset = UNSET,
) -> Response[ErrorEnvelope | SubmitUpscaleTaskOutcome]:
    """Submit an image-upscale task / 提交图片增强任务

     Creates an asynchronous upscale task for one image and returns its task id at once; the
    upscaled image is produced later (each output image is one sub-task). A call that is
    accepted (`code` 0) creates a real, billed task.

    为一张图片创建异步增强任务,并立即返回任务 ID;增强后的图片稍后生成(每张输出图片对应一个子任务)。
    被受理(`code` 为 0)的调用会创建真实的计费任务。

    Args:
        x_accept_language (AcceptLanguage | Unset): A language of the service's `message` (the
            `X-accept-language` header's values, one type shared by
            every operation that takes the header). / `message` 的语言(`X-accept-language` 的取值,各接口共用)。
             Default: AcceptLanguage.ZH.
        api_user_id (str | Unset):
        body (UpscaleRequest): An image-upscale task. / 图片增强任务参数。

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorEnvelope | SubmitUpscaleTaskOutcome]
    """

    kwargs = _get_kwargs(
        body=body,
        x_accept_language=x_accept_language,
        api_user_id=api_user_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: UpscaleRequest,
    x_accept_language: AcceptLanguage | Unset = AcceptLanguage.ZH,
    api_user_id: str | Unset = UNSET,
) -> ErrorEnvelope | SubmitUpscaleTaskOutcome | None:
    """Submit an image-upscale task / 提交图片增强任务

     Creates an asynchronous upscale task for one image and returns its task id at once; the
    upscaled image is produced later (each output image is one sub-task). A call that is
    accepted (`code` 0) creates a real, billed task.

    为一张图片创建异步增强任务,并立即返回任务 ID;增强后的图片稍后生成(每张输出图片对应一个子任务)。
    被受理(`code` 为 0)的调用会创建真实的计费任务。

    Args:
        x_accept_language (AcceptLanguage | Unset): A language of the service's `message` (the
            `X-accept-language` header's values, one type shared by
            every operation that takes the header). / `message` 的语言(`X-accept-language` 的取值,各接口共用)。
             Default: AcceptLanguage.ZH.
        api_user_id (str | Unset):
        body (UpscaleRequest): An image-upscale task. / 图片增强任务参数。

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorEnvelope | SubmitUpscaleTaskOutcome
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_accept_language=x_accept_language,
            api_user_id=api_user_id,
        )
    ).parsed
