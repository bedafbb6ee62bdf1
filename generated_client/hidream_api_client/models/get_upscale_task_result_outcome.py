from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.upscale_task_result import UpscaleTaskResult


T = TypeVar("T", bound="GetUpscaleTaskResultOutcome")


@_attrs_define
class GetUpscaleTaskResultOutcome:
    """What an HTTP 200 of a result read carries: the envelope. `code` 0: `request_id` and `result` (the
    task's sub-tasks) are then present. Any other `code`: the read was rejected (an unknown `task_id`, for
    one); `result` is then absent, null or an object without promised content. Inferred from the
    provider's client code, not from its published page (see the operation's `x-provenance`).
    / 结果查询 HTTP 200 的响应包络。`code` 为 0:此时 `request_id` 与 `result`(各子任务)必有。其他 `code`:
    查询被拒绝(例如未知的 `task_id`),此时 `result` 缺失、为 null 或为无承诺内容的对象。由服务商的客户端代码推得,而非其公开文档。

        Attributes:
            code (int): 0 when the read succeeded, any other value when rejected. / 返回状态码,0 表示成功,其他值表示拒绝。
            message (str): Status message; why, when rejected. / 返回状态信息(被拒绝时为原因)。
            request_id (str | Unset): The id of this request. / 本次请求的 ID。
            result (None | Unset | UpscaleTaskResult): The task's result when `code` is 0. / `code` 为 0 时为任务结果。
    """

    code: int
    message: str
    request_id: str | Unset = UNSET
    result: None | Unset | UpscaleTaskResult = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.upscale_task_result import UpscaleTaskResult  # noqa: PLC0415

        code = self.code

        message = self.message

        request_id = self.request_id

        result: dict[str, Any] | None | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        elif isinstance(self.result, UpscaleTaskResult):
            result = self.result.to_dict()
        else:
            result = self.result

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if result is not UNSET:
            field_dict["result"] = result

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upscale_task_result import UpscaleTaskResult  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        request_id = d.pop("request_id", UNSET)

        def _parse_result(data: object) -> None | Unset | UpscaleTaskResult:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = UpscaleTaskResult.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpscaleTaskResult, data)

        result = _parse_result(d.pop("result", UNSET))

        get_upscale_task_result_outcome = cls(
            code=code,
            message=message,
            request_id=request_id,
            result=result,
        )

        get_upscale_task_result_outcome.additional_properties = d
        return get_upscale_task_result_outcome

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
