from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UpscaleTask")


@_attrs_define
class UpscaleTask:
    """The created task; both fields are present when `code` is 0. / 返回结果;`code` 为 0 时两个字段必有。

    Attributes:
        task_id (str | Unset): The task id. / 返回任务 ID。
        sub_task_ids (list[str] | Unset): The sub-task ids; a sub-task makes one output image.
            / 返回子任务 ID 的列表,子任务定义为生成单张图片的任务。
    """

    task_id: str | Unset = UNSET
    sub_task_ids: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = self.task_id

        sub_task_ids: list[str] | Unset = UNSET
        if not isinstance(self.sub_task_ids, Unset):
            sub_task_ids = self.sub_task_ids

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if task_id is not UNSET:
            field_dict["task_id"] = task_id
        if sub_task_ids is not UNSET:
            field_dict["sub_task_ids"] = sub_task_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        task_id = d.pop("task_id", UNSET)

        sub_task_ids = cast(list[str], d.pop("sub_task_ids", UNSET))

        upscale_task = cls(
            task_id=task_id,
            sub_task_ids=sub_task_ids,
        )

        upscale_task.additional_properties = d
        return upscale_task

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
