from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.upscale_task import UpscaleTask


T = TypeVar("T", bound="UpscaleTaskEnvelope")


@_attrs_define
class UpscaleTaskEnvelope:
    """An accepted task. / 已受理的任务。

    Attributes:
        code (Literal[0]): 0, success. / 返回状态码,0 表示成功。
        message (str): Status message. / 返回状态信息。
        request_id (str): The id of this request. / 本次请求的 ID。
        result (UpscaleTask): The created task. / 返回结果。
    """

    code: Literal[0]
    message: str
    request_id: str
    result: UpscaleTask
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        request_id = self.request_id

        result = self.result.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
                "request_id": request_id,
                "result": result,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upscale_task import UpscaleTask  # noqa: PLC0415

        d = dict(src_dict)
        code = cast(Literal[0], d.pop("code"))
        if code != 0:
            raise ValueError(f"code must match const 0, got '{code}'")

        message = d.pop("message")

        request_id = d.pop("request_id")

        result = UpscaleTask.from_dict(d.pop("result"))

        upscale_task_envelope = cls(
            code=code,
            message=message,
            request_id=request_id,
            result=result,
        )

        upscale_task_envelope.additional_properties = d
        return upscale_task_envelope

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
