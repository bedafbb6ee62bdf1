"""The written guides: every relative link in README.md, CONTRIBUTING.md and docs/*.md resolves (the
file, and the heading a `#anchor` names), and `make docs` renders them to HTML pages whose links work."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from hidream_contract.guides import anchors, broken_links, guide_files, render
from hidream_contract.project import DOCS, ROOT


def test_the_guides_are_the_front_page_contributing_and_every_doc() -> None:
    found = guide_files()
    assert ROOT / "README.md" in found
    assert ROOT / "CONTRIBUTING.md" in found
    assert set(DOCS.glob("*.md")) <= set(found)
    for name in ("architecture", "testing", "ci", "benchmarks", "dependencies"):
        assert DOCS / f"{name}.md" in found


def test_every_relative_link_in_the_guides_resolves() -> None:
    assert broken_links(guide_files()) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("## The client (`hidream`)", "the-client-hidream"),
        (
            "### The locked dev environment: `uv.lock`, `make lock`",
            "the-locked-dev-environment-uvlock-make-lock",
        ),
        ("## Tests by area", "tests-by-area"),
        ("# Same\n\n## Same", "same-1"),  # a repeated heading gets -1, as on GitHub
    ],
)
def test_anchors_are_githubs(tmp_path: Path, heading: str, anchor: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(heading + "\n", encoding="utf-8")
    assert anchor in anchors(page)


GOOD = "[ok](docs/guide.md#a-part) [ok too](code.py) [here](#top) [web](https://example.org/x.md)\n"
BROKEN = (
    "[gone](docs/gone.md) [no heading](docs/guide.md#no-such-part) [out](../elsewhere.md)\n"
    "[not markdown](code.py#L1) [no anchor here](#nowhere)\n"
)


def write_guides(root: Path, links: str) -> list[Path]:
    (root / "docs").mkdir()
    guide = "# Guide\n\n## A part\n\nSee [the front](../README.md#top).\n"
    (root / "docs" / "guide.md").write_text(guide, encoding="utf-8")
    (root / "code.py").write_text("", encoding="utf-8")
    (root / "README.md").write_text(f"# Top\n\n{links}", encoding="utf-8")
    return [root / "README.md", root / "docs" / "guide.md"]


def test_a_broken_link_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "clean").mkdir()
    (tmp_path / "elsewhere.md").write_text("# Elsewhere\n", encoding="utf-8")  # exists, but outside
    assert broken_links(write_guides(tmp_path / "clean", GOOD), root=tmp_path / "clean") == []
    assert broken_links(write_guides(root, GOOD + BROKEN), root=root) == [
        "README.md: docs/gone.md: no such file",
        "README.md: docs/guide.md#no-such-part: docs/guide.md has no heading #no-such-part",
        "README.md: ../elsewhere.md: outside the repository",
        "README.md: code.py#L1: an anchor into a file that is not Markdown",
        "README.md: #nowhere: README.md has no heading #nowhere",
    ]


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))


def parsed(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_the_rendered_pages_link_to_each_other_and_their_headings(tmp_path: Path) -> None:
    """Read back with a plain HTML parser: every link between pages lands on a page written and on
    an id that page has; a link to another file of the repository still reaches it."""
    root = tmp_path / "repo"
    root.mkdir()
    out = tmp_path / "site"
    written = render(out, write_guides(root, GOOD))
    assert sorted(p.name for p in written) == ["README.html", "guide.html"]
    pages = {p.name: parsed(p) for p in written}
    assert "a-part" in pages["guide.html"].ids
    readme = pages["README.html"].hrefs
    assert "guide.html#a-part" in readme
    assert "https://example.org/x.md" in readme  # not ours: left as written
    assert (out / next(h for h in readme if h.endswith("code.py"))).resolve() == (root / "code.py").resolve()
    for name, page in pages.items():
        for href in page.hrefs:
            target, _, anchor = href.partition("#")
            if target.endswith(".html"):
                assert target in pages, (name, href)
                if anchor and target in pages:
                    assert anchor in pages[target].ids, (name, href)
