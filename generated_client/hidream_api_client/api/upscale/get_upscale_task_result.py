from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_envelope import ErrorEnvelope
from ...models.get_upscale_task_result_outcome import GetUpscaleTaskResultOutcome
from ...types import UNSET, Response


def _get_kwargs(
    *,
    task_id: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["task_id"] = task_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/image/image_upscaler/async/results",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorEnvelope | GetUpscaleTaskResultOutcome | None:
    if response.status_code == 200:
        response_200 = GetUpscaleTaskResultOutcome.from_dict(response.json())

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
) -> Response[ErrorEnvelope | GetUpscaleTaskResultOutcome]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    task_id: str,
) -> Response[ErrorEnvelope | GetUpscaleTaskResultOutcome]:
    """Read an upscale task's result / 查询图片增强任务结果

     Reads the state of a task created by the submit, and its output image once a sub-task has
    succeeded. A read creates nothing and costs nothing. **Our inference, not the provider's page**:
    the provider's open-source client (`x-provenance`) reads the results of its
    `/api-pub/gw/v4/{image,video}/<module>/async` operations on another host this way — the submit's
    URL plus `/results`, the task id as the query parameter `task_id`, the same bearer token and
    envelope. That this v3 operation answers the same read is carried over from them, not read
    anywhere. Exactly that much is written here; every other field is left open, and the live check
    is what confirms it.

    查询提交接口创建的任务状态;子任务成功后返回输出图片。查询不创建任务,也不计费。
    **是我们的推断,而非服务商文档**:服务商开源客户端(见 `x-provenance`)以此方式查询其另一域名上
    `/api-pub/gw/v4/{image,video}/<module>/async` 接口的结果——提交地址加 `/results`,以查询参数 `task_id`
    传任务 ID,使用同一 Bearer Token 与同一响应包络。本 v3 接口同样支持该查询是由此推得,并无出处。
    本文档只写这些;其余字段一律开放,由线上检查确认。

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorEnvelope | GetUpscaleTaskResultOutcome]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    task_id: str,
) -> ErrorEnvelope | GetUpscaleTaskResultOutcome | None:
    """Read an upscale task's result / 查询图片增强任务结果

     Reads the state of a task created by the submit, and its output image once a sub-task has
    succeeded. A read creates nothing and costs nothing. **Our inference, not the provider's page**:
    the provider's open-source client (`x-provenance`) reads the results of its
    `/api-pub/gw/v4/{image,video}/<module>/async` operations on another host this way — the submit's
    URL plus `/results`, the task id as the query parameter `task_id`, the same bearer token and
    envelope. That this v3 operation answers the same read is carried over from them, not read
    anywhere. Exactly that much is written here; every other field is left open, and the live check
    is what confirms it.

    查询提交接口创建的任务状态;子任务成功后返回输出图片。查询不创建任务,也不计费。
    **是我们的推断,而非服务商文档**:服务商开源客户端(见 `x-provenance`)以此方式查询其另一域名上
    `/api-pub/gw/v4/{image,video}/<module>/async` 接口的结果——提交地址加 `/results`,以查询参数 `task_id`
    传任务 ID,使用同一 Bearer Token 与同一响应包络。本 v3 接口同样支持该查询是由此推得,并无出处。
    本文档只写这些;其余字段一律开放,由线上检查确认。

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorEnvelope | GetUpscaleTaskResultOutcome
    """

    return sync_detailed(
        client=client,
        task_id=task_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    task_id: str,
) -> Response[ErrorEnvelope | GetUpscaleTaskResultOutcome]:
    """Read an upscale task's result / 查询图片增强任务结果

     Reads the state of a task created by the submit, and its output image once a sub-task has
    succeeded. A read creates nothing and costs nothing. **Our inference, not the provider's page**:
    the provider's open-source client (`x-provenance`) reads the results of its
    `/api-pub/gw/v4/{image,video}/<module>/async` operations on another host this way — the submit's
    URL plus `/results`, the task id as the query parameter `task_id`, the same bearer token and
    envelope. That this v3 operation answers the same read is carried over from them, not read
    anywhere. Exactly that much is written here; every other field is left open, and the live check
    is what confirms it.

    查询提交接口创建的任务状态;子任务成功后返回输出图片。查询不创建任务,也不计费。
    **是我们的推断,而非服务商文档**:服务商开源客户端(见 `x-provenance`)以此方式查询其另一域名上
    `/api-pub/gw/v4/{image,video}/<module>/async` 接口的结果——提交地址加 `/results`,以查询参数 `task_id`
    传任务 ID,使用同一 Bearer Token 与同一响应包络。本 v3 接口同样支持该查询是由此推得,并无出处。
    本文档只写这些;其余字段一律开放,由线上检查确认。

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorEnvelope | GetUpscaleTaskResultOutcome]
    """

    kwargs = _get_kwargs(
        task_id=task_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    task_id: str,
) -> ErrorEnvelope | GetUpscaleTaskResultOutcome | None:
    """Read an upscale task's result / 查询图片增强任务结果

     Reads the state of a task created by the submit, and its output image once a sub-task has
    succeeded. A read creates nothing and costs nothing. **Our inference, not the provider's page**:
    the provider's open-source client (`x-provenance`) reads the results of its
    `/api-pub/gw/v4/{image,video}/<module>/async` operations on another host this way — the submit's
    URL plus `/results`, the task id as the query parameter `task_id`, the same bearer token and
    envelope. That this v3 operation answers the same read is carried over from them, not read
    anywhere. Exactly that much is written here; every other field is left open, and the live check
    is what confirms it.

    查询提交接口创建的任务状态;子任务成功后返回输出图片。查询不创建任务,也不计费。
    **是我们的推断,而非服务商文档**:服务商开源客户端(见 `x-provenance`)以此方式查询其另一域名上
    `/api-pub/gw/v4/{image,video}/<module>/async` 接口的结果——提交地址加 `/results`,以查询参数 `task_id`
    传任务 ID,使用同一 Bearer Token 与同一响应包络。本 v3 接口同样支持该查询是由此推得,并无出处。
    本文档只写这些;其余字段一律开放,由线上检查确认。

    Args:
        task_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorEnvelope | GetUpscaleTaskResultOutcome
    """

    return (
        await asyncio_detailed(
            client=client,
            task_id=task_id,
        )
    ).parsed
