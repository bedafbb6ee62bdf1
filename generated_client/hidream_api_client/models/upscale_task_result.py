from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sub_task_result import SubTaskResult


T = TypeVar("T", bound="UpscaleTaskResult")


@_attrs_define
class UpscaleTaskResult:
    """The task's sub-tasks (present when `code` is 0); other fields may come and are left open. Inferred
    from the provider's client code, not from its published page. / 任务的各子任务(`code` 为 0 时必有);
    其他字段可能出现,不作限定。由服务商的客户端代码推得,而非其公开文档。

        Attributes:
            sub_task_results (list[SubTaskResult] | Unset): One entry per sub-task (one output image each); it may be empty
                right after the submit, and the
                task is then not final (the provider's code polls on, `task_client.py:100-107`). / 每个
                子任务一项(各生成一张图片);提交后不久可能为空,此时任务未结束(服务商代码继续轮询)。
    """

    sub_task_results: list[SubTaskResult] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sub_task_results: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.sub_task_results, Unset):
            sub_task_results = []
            for sub_task_results_item_data in self.sub_task_results:
                sub_task_results_item = sub_task_results_item_data.to_dict()
                sub_task_results.append(sub_task_results_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if sub_task_results is not UNSET:
            field_dict["sub_task_results"] = sub_task_results

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.sub_task_result import SubTaskResult  # noqa: PLC0415

        d = dict(src_dict)
        _sub_task_results = d.pop("sub_task_results", UNSET)
        sub_task_results: list[SubTaskResult] | Unset = UNSET
        if _sub_task_results is not UNSET:
            sub_task_results = []
            for sub_task_results_item_data in _sub_task_results:
                sub_task_results_item = SubTaskResult.from_dict(sub_task_results_item_data)

                sub_task_results.append(sub_task_results_item)

        upscale_task_result = cls(
            sub_task_results=sub_task_results,
        )

        upscale_task_result.additional_properties = d
        return upscale_task_result

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
