"""Start the Prism mock through scripts/mock for the length of a `with` block, and the spec it serves.

Prism serves a document's paths at its own root, whatever its servers say. The provider documents the
API under a base path (`/api-pub/gw/v3`, the path of the spec's first server), and clients are
configured with that URL; so scripts/mock and scripts/proxy give Prism a derived copy of the spec whose
paths carry the base path (`served_spec`), and the URL they print ends with it: a client given the
documented URL with the mock's host works unchanged.

scripts/mock owns Prism's lifecycle (free port, readiness probe, process-group cleanup); this
module only reads the URL it prints and closes its stdin, which tells it to stop
(src/hidream_contract/children.py).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from hidream_contract.children import ChildStartError, serving_child
from hidream_contract.project import ROOT, SCRIPTS
from hidream_contract.spec import SPEC_PATH


class MockStartError(ChildStartError):
    """Prism did not come up; the message carries what scripts/mock said, its log included."""


def base_path(document: dict[str, Any]) -> str:
    """The documented base path: the path of the first server's URL, without a trailing slash
    ("" when the document has no servers or its first server has no path)."""
    servers = document.get("servers") or [{"url": "/"}]
    return urlsplit(str(servers[0]["url"])).path.rstrip("/")


def served_document(document: dict[str, Any]) -> dict[str, Any]:
    """`document` as Prism must serve it: every path under the base path, and one relative server
    (the base URL a client gives is the mock's origin plus the base path)."""
    prefix = base_path(document)
    served = copy.deepcopy(document)
    served["paths"] = {prefix + path: item for path, item in document.get("paths", {}).items()}
    served["servers"] = [
        {"url": "/", "description": f"The Prism mock; the operations are under {prefix or '/'}"}
    ]
    return served


def served_spec(spec: Path, out_dir: Path) -> Path:
    """Write the served copy of `spec` into `out_dir` (a file of its own: mocks run side by side)."""
    try:
        document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{spec}: not a YAML document ({error})") from error
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ValueError(f"{spec}: not an OpenAPI document with paths")
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"{spec.stem}.served.yaml"
    out.write_text(
        yaml.safe_dump(served_document(document), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return out


@contextmanager
def running_mock(spec: Path = SPEC_PATH) -> Iterator[str]:
    """Serve `spec` with Prism and yield its base URL: the mock's origin plus the documented base
    path (no trailing slash)."""
    argv = [str(SCRIPTS / "mock"), "--serve", str(spec)]
    with serving_child(argv, ready_key="MOCK_BASE_URL", cwd=ROOT, error=MockStartError) as url:
        yield url


@contextmanager
def running_proxy(upstream: str, spec: Path = SPEC_PATH) -> Iterator[str]:
    """Put Prism's validating proxy (scripts/proxy, `prism proxy --errors`) in front of `upstream`
    (a base URL in the documented form, or its origin) and yield the proxy's base URL."""
    argv = [str(SCRIPTS / "proxy"), "--serve", upstream, str(spec)]
    with serving_child(argv, ready_key="PROXY_BASE_URL", cwd=ROOT, error=MockStartError) as url:
        yield url


def main(argv: list[str]) -> int:
    """`python -m hidream_contract.mock served-spec SPEC OUT_DIR`: write the served copy, print its
    path; `python -m hidream_contract.mock base-path SPEC`: print the documented base path."""
    if len(argv) == 3 and argv[0] == "served-spec":
        try:
            print(served_spec(Path(argv[1]), Path(argv[2])))
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0
    if len(argv) == 2 and argv[0] == "base-path":
        print(base_path(yaml.safe_load(Path(argv[1]).read_text(encoding="utf-8"))))
        return 0
    print("usage: python -m hidream_contract.mock served-spec SPEC OUT_DIR | base-path SPEC", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
