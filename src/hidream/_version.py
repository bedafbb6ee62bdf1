"""The package version, read from the installed distribution so that it has one source (pyproject.toml)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hidream-contract-kit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"
