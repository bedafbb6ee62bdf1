"""The written guides as pages: README.md, CONTRIBUTING.md and docs/*.md rendered to HTML, and every
relative link among them checked (the file exists; a `#anchor` names a heading of it).

    python -m hidream_contract.guides [OUT]     default OUT: build/docs/guides (scripts/docs calls it)

The Markdown is read as GitHub reads it: CommonMark with tables and strikethrough (markdown-it-py), and
headings get GitHub's anchors (mdit-py-plugins' anchors plugin), so a `#section` link that works on
GitHub works in the rendered page and is what the check accepts. A broken link fails the render (exit 1,
each named) before any page is written.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

from hidream_contract.project import BUILD, DOCS, ROOT

OUT = BUILD / "docs" / "guides"


def guide_files() -> list[Path]:
    """The pages: the front page, how to contribute, and every guide in docs/."""
    found = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]
    return [path for path in found if path.is_file()]


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.use(anchors_plugin, min_level=1, max_level=6)
    return md


def _tokens(path: Path) -> list[Token]:
    return _markdown().parse(path.read_text(encoding="utf-8"))


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


@cache
def _anchors_of(path: Path) -> frozenset[str]:
    return frozenset(str(t.attrGet("id")) for t in _tokens(path) if t.type == "heading_open")


def anchors(path: Path) -> frozenset[str]:
    """The `#anchors` GitHub gives the headings of a Markdown file."""
    return _anchors_of(path.resolve())


def _targets(tokens: Sequence[Token]) -> Iterator[tuple[Token, str, str]]:
    """(token, attribute, value) of every link and image in the page."""
    for token in _walk(tokens):
        for attr in ("href", "src"):
            value = token.attrGet(attr)
            if isinstance(value, str):
                yield token, attr, value


def _is_relative(target: str) -> bool:
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc)


def broken_links(paths: Sequence[Path], root: Path = ROOT) -> list[str]:
    """Each relative link in these Markdown files that points at no file, at no heading, or out of
    `root` (the repository: a page must not send its reader to files that are not in it)."""
    root = root.resolve()
    found = []
    for path in (p.resolve() for p in paths):
        for _, _, target in _targets(_tokens(path)):
            if not _is_relative(target):
                continue
            parts = urlsplit(target)
            where = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            name = f"{path.relative_to(root)}: {target}"
            if not where.is_relative_to(root):
                found.append(f"{name}: outside the repository")
            elif not where.exists():
                found.append(f"{name}: no such file")
            elif parts.fragment:
                if where.suffix != ".md":
                    found.append(f"{name}: an anchor into a file that is not Markdown")
                elif unquote(parts.fragment) not in anchors(where):
                    found.append(f"{name}: {where.relative_to(root)} has no heading #{parts.fragment}")
    return found


def _page_name(path: Path) -> str:
    return path.with_suffix(".html").name


def _rewrite(target: str, source: Path, pages: dict[Path, str], out: Path) -> str:
    """A link as the rendered page needs it: to another page's HTML, else to the repository file."""
    parts = urlsplit(target)
    if not _is_relative(target) or not parts.path:
        return target
    where = (source.parent / unquote(parts.path)).resolve()
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    if where in pages:
        return pages[where] + fragment
    return Path(os.path.relpath(where, out)).as_posix() + fragment


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ max-width: 52rem; margin: 2rem auto; padding: 0 1rem; font: 16px/1.5 system-ui, sans-serif; }}
pre, code {{ background: #f4f4f4; }} pre {{ padding: .6rem; overflow-x: auto; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: .2rem .5rem; vertical-align: top; }}
nav {{ font-size: .9rem; margin-bottom: 1rem; }}
</style>
</head>
<body>
<nav>{nav}</nav>
{body}
</body>
</html>
"""


def render(out: Path = OUT, paths: Sequence[Path] | None = None) -> list[Path]:
    """Write one self-contained HTML page per Markdown file into `out`; links rewritten to match."""
    sources = [p.resolve() for p in (guide_files() if paths is None else paths)]
    pages = {source: _page_name(source) for source in sources}
    nav = " · ".join(f'<a href="{name}">{html.escape(src.stem)}</a>' for src, name in pages.items())
    out.mkdir(parents=True, exist_ok=True)
    written = []
    md = _markdown()
    for source in sources:
        tokens = md.parse(source.read_text(encoding="utf-8"))
        for token, attr, value in _targets(tokens):
            token.attrSet(attr, _rewrite(value, source, pages, out))
        titles = [t.content for i, t in enumerate(tokens) if i and tokens[i - 1].type == "heading_open"]
        title = titles[0] if titles else source.stem
        page = out / pages[source]
        body = md.renderer.render(tokens, md.options, {})
        page.write_text(PAGE.format(title=html.escape(title), nav=nav, body=body), encoding="utf-8")
        written.append(page)
    return written


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python -m hidream_contract.guides [OUT]  (default: build/docs/guides)", file=sys.stderr)
        return 2
    out = Path(argv[0]) if argv else OUT
    broken = broken_links(guide_files())
    if broken:
        print("error: broken relative links:\n" + "\n".join(f"  {line}" for line in broken), file=sys.stderr)
        return 1
    written = render(out.resolve())
    print(f"wrote {len(written)} pages into {out} (every relative link resolves)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
