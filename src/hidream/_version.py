"""The package version, read from the installed distribution's metadata.

Its one source is the spec's `info.version`: hatch_build.py writes it into the metadata at build time.
"""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "hidream-client"  # pyproject [project] name (tests/house/test_distribution.py checks it)

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"
