from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SubTaskResult")


@_attrs_define
class SubTaskResult:
    """One sub-task's state and output. / 单个子任务的状态与输出。

    Attributes:
        sub_task_id (str): The sub-task id, one of the submit's `sub_task_ids`. / 子任务 ID,即提交返回的 `sub_task_ids` 之一。
        task_status (int): A sub-task's state: 0 queued, 1 succeeded, 2 in progress, 3 failed, 4 failed the safety
            review.
            1, 3 and 4 are final (`x-final`). The provider's client code treats any other value as not final,
            so the schema accepts every integer; `KnownTaskStatus` names these five (a plain integer here,
            not an `anyOf` of the enum and integer, which some generators cannot decode).
            / 子任务状态:0 排队中,1 成功,2 处理中,3 生成失败,4 未通过安全审核;1、3、4 为终态(`x-final`)。
            服务商客户端代码将其他取值视为非终态,故本模式接受任意整数;`KnownTaskStatus` 为这五个取值命名
            (此处为普通整数,而非枚举与整数的 `anyOf`,部分生成器无法解码后者)。
        image (str | Unset): The output image, once the sub-task succeeded: a URL to fetch it from. / 子任务成功后的输出图片:可下载的
            URL。
    """

    sub_task_id: str
    task_status: int
    image: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        sub_task_id = self.sub_task_id

        task_status = self.task_status

        image = self.image

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "sub_task_id": sub_task_id,
                "task_status": task_status,
            }
        )
        if image is not UNSET:
            field_dict["image"] = image

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        sub_task_id = d.pop("sub_task_id")

        task_status = d.pop("task_status")

        image = d.pop("image", UNSET)

        sub_task_result = cls(
            sub_task_id=sub_task_id,
            task_status=task_status,
            image=image,
        )

        sub_task_result.additional_properties = d
        return sub_task_result

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
