"""Contains all the data models used in inputs/outputs"""

from .accept_language import AcceptLanguage
from .error_envelope import ErrorEnvelope
from .model_version import ModelVersion
from .upsale_ratio import UpsaleRatio
from .upscale_request import UpscaleRequest
from .upscale_task import UpscaleTask
from .upscale_task_envelope import UpscaleTaskEnvelope

__all__ = (
    "AcceptLanguage",
    "ErrorEnvelope",
    "ModelVersion",
    "UpsaleRatio",
    "UpscaleRequest",
    "UpscaleTask",
    "UpscaleTaskEnvelope",
)
