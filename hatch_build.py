"""Build-time hook (hatchling): the distribution's version is the spec's `info.version`, read here.

The spec is the one source of the version: no number is kept by hand in pyproject.toml, and the
generated client's own pyproject.toml gets the same number from the generator. The path of the spec
is this hook's `spec` option in pyproject.toml ([tool.hatch.metadata.hooks.custom]): the one pointer
to the spec, which `hidream_contract.spec` (and through it every script) reads too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hatchling.metadata.plugin.interface import MetadataHookInterface


class SpecVersionHook(MetadataHookInterface):
    """Sets `version` (declared dynamic in [project]) from the spec's `info.version`."""

    def update(self, metadata: dict[str, Any]) -> None:
        relative = self.config.get("spec")
        if not isinstance(relative, str) or not relative:
            raise ValueError("[tool.hatch.metadata.hooks.custom] needs `spec`: the OpenAPI document's path")
        path = Path(self.root, relative)
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        version = document.get("info", {}).get("version") if isinstance(document, dict) else None
        if not isinstance(version, str) or not version:
            raise ValueError(f"{relative}: no info.version string to take the package version from")
        metadata["version"] = version
