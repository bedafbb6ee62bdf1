from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.model_version import ModelVersion
from ..models.upsale_ratio import UpsaleRatio
from ..types import UNSET, Unset

T = TypeVar("T", bound="UpscaleRequest")


@_attrs_define
class UpscaleRequest:
    """An image-upscale task. / 图片增强任务参数。

    Attributes:
        image (str): The source image: its base64 value or a URL the service can fetch.
            / 原始图片,支持传入图片的 base64 值或 URL 地址。
        upsale_ratio (UpsaleRatio): Upscale factor: 2 or 4. The provider's page calls 2 the default but marks the field
            required, so it is always sent. The provider spells the field `upsale_ratio`; that is its
            wire name. / 图片的增强倍数:2 或 4。服务商文档称默认值为 2,但将该字段列为必填,故始终传递。
            字段名 `upsale_ratio` 为服务商原拼写。
        version (ModelVersion | Unset): Model version; only `v1`. / 模型版本,默认为 "v1",可选范围为 {"v1"}。 Default:
            ModelVersion.V1.
        notify_url (str | Unset): Callback called when the task finishes; it must be reachable from the public internet.
            Its request carries the same parameters as the task result.
            / 任务完成回调通知接口(需公网能访问),请求参数与 task result 一致。
        request_id (str | Unset): Your own id for this request. / 请求的 ID,默认为 ""。 Default: ''.
    """

    image: str
    upsale_ratio: UpsaleRatio
    version: ModelVersion | Unset = ModelVersion.V1
    notify_url: str | Unset = UNSET
    request_id: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image

        upsale_ratio = self.upsale_ratio.value

        version: str | Unset = UNSET
        if not isinstance(self.version, Unset):
            version = self.version.value

        notify_url = self.notify_url

        request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "image": image,
                "upsale_ratio": upsale_ratio,
            }
        )
        if version is not UNSET:
            field_dict["version"] = version
        if notify_url is not UNSET:
            field_dict["notify_url"] = notify_url
        if request_id is not UNSET:
            field_dict["request_id"] = request_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        image = d.pop("image")

        upsale_ratio = UpsaleRatio(d.pop("upsale_ratio"))

        _version = d.pop("version", UNSET)
        version: ModelVersion | Unset
        if isinstance(_version, Unset):
            version = UNSET
        else:
            version = ModelVersion(_version)

        notify_url = d.pop("notify_url", UNSET)

        request_id = d.pop("request_id", UNSET)

        upscale_request = cls(
            image=image,
            upsale_ratio=upsale_ratio,
            version=version,
            notify_url=notify_url,
            request_id=request_id,
        )

        upscale_request.additional_properties = d
        return upscale_request

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
