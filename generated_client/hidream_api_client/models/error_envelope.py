from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorEnvelope")


@_attrs_define
class ErrorEnvelope:
    """A rejected request: the same envelope with a non-zero `code`. The provider publishes no list
    of codes, and promises nothing about `result` here.
    / 被拒绝的请求:同一包络,`code` 非 0。服务商未公布错误码列表,此时 `result` 无任何承诺。

        Attributes:
            code (int): Non-zero status code. / 非 0 返回状态码。
            message (str): Why the request was rejected. / 返回状态信息(拒绝原因)。
            request_id (str | Unset): The id of this request. / 本次请求的 ID。
            result (Any | Unset): Nothing to rely on. / 无可依赖内容。
    """

    code: int
    message: str
    request_id: str | Unset = UNSET
    result: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        request_id = self.request_id

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
        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        request_id = d.pop("request_id", UNSET)

        result = d.pop("result", UNSET)

        error_envelope = cls(
            code=code,
            message=message,
            request_id=request_id,
            result=result,
        )

        error_envelope.additional_properties = d
        return error_envelope

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
