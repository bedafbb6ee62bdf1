"""Contains all the data models used in inputs/outputs"""

from .accept_language import AcceptLanguage
from .error_envelope import ErrorEnvelope
from .get_upscale_task_result_outcome import GetUpscaleTaskResultOutcome
from .known_task_status import KnownTaskStatus
from .model_version import ModelVersion
from .sub_task_result import SubTaskResult
from .submit_upscale_task_outcome import SubmitUpscaleTaskOutcome
from .upsale_ratio import UpsaleRatio
from .upscale_request import UpscaleRequest
from .upscale_task import UpscaleTask
from .upscale_task_result import UpscaleTaskResult

__all__ = (
    "AcceptLanguage",
    "ErrorEnvelope",
    "GetUpscaleTaskResultOutcome",
    "KnownTaskStatus",
    "ModelVersion",
    "SubmitUpscaleTaskOutcome",
    "SubTaskResult",
    "UpsaleRatio",
    "UpscaleRequest",
    "UpscaleTask",
    "UpscaleTaskResult",
)
