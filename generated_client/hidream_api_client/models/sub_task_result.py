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
        sub_task_id (str): The sub-task id, one of the submit's `sub_task_ids` (our inference: the provider's code never
            reads it). / 子任务 ID,即提交返回的 `sub_task_ids` 之一(我们的推断:服务商代码从不读取该字段)。
        task_status (int): A sub-task's state, as the provider's client code reads it (`hidream-api-gen` commit 34bfecc,
            `scripts/common/task_client.py` lines 100-145; the `x-` fields below say the same for code):
            0 queued, 1 succeeded, 2 in progress, 3 generation failed, 4 failed the safety review.
            Not final: 0, 2 and -5 to -1 (`x-non-final`; the negative values are "historically observed",
            line 115). Final: 1, 3 and 4 (`x-final`).
            A task (all its sub-tasks) is read as follows, in this order: any sub-task 3 or 4: the task failed
            (`x-failed`); every sub-task 1 and an output present (`image`, `SubTaskResult`): it succeeded
            (`x-succeeded`); every sub-task 1 but no output yet: not final, read again; every sub-task at a value
            that is neither success nor a non-final one (a value this list does not name): the task ended in an
            unknown, non-success state (`x-unknown`); otherwise (a mix, or an empty `sub_task_results`): not
            final, read again. So the schema accepts every integer; `KnownTaskStatus` names the five (a plain
            integer here, not an `anyOf` of the enum and integer, which some generators cannot decode).
            Where this differs from that code: it takes any of six output keys (line 123); this operation's
            output is `image`, the only one it documents.
            / 子任务状态(依服务商客户端代码 `scripts/common/task_client.py` 第 100-145 行):0 排队中,1 成功,
            2 处理中,3 生成失败,4 未通过安全审核。非终态:0、2 与 -5 至 -1(`x-non-final`);终态:1、3、4(`x-final`)。
            整个任务按以下顺序判定:任一子任务为 3 或 4:失败;全部为 1 且有输出(`image`):成功;全部为 1 但尚无输出:
            未结束;全部为既非成功亦非非终态的取值(未列出的取值):以未知的非成功状态结束(`x-unknown`);
            其他情况(混合,或 `sub_task_results` 为空):未结束。故本模式接受任意整数;`KnownTaskStatus`
            为这五个取值命名。与该代码的差异:它接受六种输出字段,本接口只记载 `image`。
        image (str | Unset): The output image, once the sub-task succeeded: a URL to fetch it from. A status of 1
            without it
            is not yet a success (`TaskStatus`). / 子任务成功后的输出图片:可下载的 URL。状态为 1 但没有该字段时
            尚不算成功(见 `TaskStatus`)。
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
