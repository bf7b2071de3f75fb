"""The search index of the lesson pages: every section's full text, no spoilers.

Material's search plugin cuts a page into sections at its headings, but a heading nested
deeper than the text after it (every notebook heading sits inside its cell's wrappers)
ends its section where its cell ends: each notebook heading kept only its first paragraph
and the rest of the notebook landed on the page title. So the lesson pages are indexed
again after the build, by Material's own indexer, from their HTML with the layout
wrappers (`<div>`) taken out, which puts every heading and paragraph at one depth.

Blocks marked `data-search-exclude` (the generated diffs, the solution files) are left
out whole: a search for "JWT" should land on the lesson, not on its answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from shiplings.site.cache import ContentCache, content_key

EXCLUDE = "data-search-exclude"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Flatten(HTMLParser):
    """HTML without <div> tags, without elements marked data-search-exclude or heading anchors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.skipping: list[str] = []  # open tags inside an excluded element

    def handle_starttag(self, tag, attrs):
        if self.skipping:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        # excluded blocks, and the notebook headings' "¶" links (Material skips only its own)
        if any(name == EXCLUDE or (name == "class" and "anchor-link" in (value or "").split())
               for name, value in attrs):
            if tag not in VOID:
                self.skipping.append(tag)
            return
        if tag != "div":
            self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag, attrs):
        if not self.skipping and tag != "div":
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        if self.skipping:
            # close the innermost open tag of that name (HTML in the wild is not always balanced)
            for index in range(len(self.skipping) - 1, -1, -1):
                if self.skipping[index] == tag:
                    del self.skipping[index:]
                    break
            return
        if tag != "div":
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)

    def handle_entityref(self, name):
        self.handle_data(f"&{name};")

    def handle_charref(self, name):
        self.handle_data(f"&#{name};")


def searchable_html(page_html: str) -> str:
    """The page as the index should read it: one depth for all sections, no excluded blocks."""
    parser = _Flatten()
    parser.feed(page_html)
    parser.close()
    return "".join(parser.out)


@dataclass
class IndexedPage:
    """What Material's indexer reads of a page (mkdocs.structure.pages.Page has the same)."""

    content: str
    toc: object
    url: str
    title: str
    meta: dict


def index_entries(page: IndexedPage, search_config: dict, cache: ContentCache | None = None) -> list[dict]:
    """Material's own index entries for a page, from its searchable HTML (cached by all it reads)."""
    from importlib.metadata import version

    key = content_key("search", version("mkdocs-material"), page.content, toc_outline(page.toc), page.url,
                      page.title, page.meta, search_config)
    found = cache.get(key) if cache else None
    if found is not None:
        return found

    from material.plugins.search.plugin import SearchIndex

    index = SearchIndex(**search_config)
    index.add_entry_from_context(IndexedPage(searchable_html(page.content), page.toc, page.url, page.title, page.meta))
    return cache.put(key, index.entries) if cache else index.entries


def toc_outline(toc) -> list:
    """What the indexer reads of a table of contents (MkDocs' objects, or token dicts in tests)."""
    if not toc:
        return []
    return [[getattr(item, "id", None), getattr(item, "title", None), toc_outline(getattr(item, "children", []))]
            if not isinstance(item, dict) else item for item in toc]


def reindex(index_file: Path, pages: list[IndexedPage], search_config: dict, cache: ContentCache | None = None) -> None:
    """Replace the entries of these pages in a built search_index.json with full-text ones."""
    data = json.loads(index_file.read_text(encoding="utf-8"))
    urls = {page.url for page in pages}
    kept = [entry for entry in data["docs"] if entry["location"].split("#")[0] not in urls]
    for page in pages:
        kept += index_entries(page, search_config, cache)
    data["docs"] = kept
    index_file.write_text(json.dumps(data, separators=(",", ":"), default=str), encoding="utf-8")
