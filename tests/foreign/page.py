"""The provider's page's two samples, extracted by code from openapi/reference/image_upscaler_submit.zh.txt,
and the least each needs to run: the token, the URL (the documented path on a double's host) and, for
the Python one, its lost indentation. Nothing else of them is changed, and nothing is copied here."""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from hidream_contract.project import ROOT

PAGE = ROOT / "openapi" / "reference" / "image_upscaler_submit.zh.txt"
TOKEN_PLACEHOLDERS = {"python": "<token>", "curl": "{USER_Authorization}"}


def _lines() -> list[str]:
    return PAGE.read_text(encoding="utf-8").splitlines()


def _between(start: str, end: str) -> list[str]:
    lines = _lines()
    return lines[lines.index(start) + 1 : lines.index(end)]


def documented_url() -> str:
    """The submit's URL as the page gives it: the line after its heading "1. 接口地址"."""
    lines = _lines()
    return lines[lines.index("1. 接口地址") + 1].strip()


def on_host(url: str, base_url: str) -> str:
    """`url` with its origin replaced by `base_url`'s origin: the documented path, another host."""
    target = urlsplit(base_url)
    return urlsplit(url)._replace(scheme=target.scheme, netloc=target.netloc).geturl()


def python_sample() -> str:
    """The page's Python sample as printed (between "Python示例" and the next heading)."""
    return "\n".join(_between("Python示例", "4. 返回参数")) + "\n"


def reindent(source: str) -> str:
    """Give the sample back the indentation the page lost: a `{` opens a level and a `}` closes it;
    an `if ...:` opens a block that lasts until its `else:`, and an `else:` belongs to the innermost
    `if` that has none yet (the only constructs the sample has)."""
    out: list[str] = []
    depth = 0
    open_ifs: list[tuple[int, bool]] = []  # (depth of the `if`, whether its `else` came)
    for raw in source.splitlines():
        line = raw.strip()
        if line.startswith("else:"):
            while open_ifs and open_ifs[-1][1]:
                open_ifs.pop()
            level, _ = open_ifs.pop()
            open_ifs.append((level, True))
            out.append("    " * level + line)
            depth = level + 1
            continue
        if line.startswith("}"):
            depth -= 1
        out.append("    " * depth + line)
        if line.endswith("{"):
            depth += 1
        elif line.startswith("if ") and line.endswith(":"):
            open_ifs.append((depth, False))
            depth += 1
    return "\n".join(out) + "\n"


def runnable_python_sample(base_url: str, token: str) -> str:
    """The Python sample with its indentation, the token and the URL restored, and nothing else."""
    source = reindent(python_sample())
    assert source.count(TOKEN_PLACEHOLDERS["python"]) == 1
    source = source.replace(TOKEN_PLACEHOLDERS["python"], repr(token))
    url = documented_url()
    assert source.count(url) == 1
    return source.replace(url, on_host(url, base_url))


def curl_sample() -> list[str]:
    """The page's curl sample as printed, split as a shell would split it."""
    return shlex.split("\n".join(_between("curl示例", "Python示例")).replace("\\\n", " "))


def runnable_curl_sample(base_url: str, token: str) -> list[str]:
    """The curl sample with the token and the URL restored (its body left as printed)."""
    argv = []
    url = documented_url()
    for arg in curl_sample():
        arg = arg.replace(TOKEN_PLACEHOLDERS["curl"], token)
        argv.append(on_host(url, base_url) if arg == url else arg)
    assert argv != curl_sample()
    return argv
