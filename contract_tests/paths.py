"""Where the project's files are, for tests and tools that run from any working directory."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "hidream-image-upscaler.yaml"
REPORTS = ROOT / "reports"
BUILD = ROOT / "build"
SCRIPTS = ROOT / "scripts"
OPERATION_PATH = "/image/image_upscaler/async"
