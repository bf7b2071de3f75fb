"""Lesson notebooks on the site: rendered to HTML by mkdocs-jupyter (never executed),
cached by content, their CSS shared, and laid into their lesson page and its table of
contents once MkDocs has rendered the page."""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from shiplings.manifest import Lesson
from shiplings.site.markdown import lesson_uri

# Bump when the rendered notebook HTML changes shape, so cached renders are redone.
NOTEBOOK_RENDER_VERSION = "3"


def notebook_placeholder(lesson: Lesson) -> str:
    """Raw HTML the hook swaps for the rendered notebook (Markdown passes it through)."""
    return f'<div class="shiplings-notebook" data-lesson="{lesson.id}"></div>'


@dataclass
class RenderedNotebook:
    html: str
    toc: list[dict]  # MkDocs toc tokens: level, id, name, children
    styles: list[str]


def trim_title(notebook_path: Path, destination: Path) -> Path:
    """Copy the notebook without its leading `# title` line: the page has the manifest's title."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    first = next((cell for cell in notebook.cells if cell.cell_type == "markdown"), None)
    if first is not None:
        lines = first.source.splitlines()
        if lines and lines[0].startswith("# "):
            first.source = "\n".join(lines[1:]).strip("\n")
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = bracket_bare_urls(cell.source)
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, destination)
    return destination


# A bare URL in prose (not in a code span or a fenced block, not already <bracketed> or a link target)
BARE_URL = re.compile(r"(?<![<(\[`\"'=/\w])https?://[^\s<>`*()\[\]]+")
CODE = re.compile(r"^(```|~~~).*?^\1|(`+).+?\2", re.S | re.M)


def bracket_bare_urls(source: str) -> str:
    """`**http://localhost:5173**` as `**<http://localhost:5173>**`.

    The notebooks' Markdown renderer (mistune) takes the closing `**` into a bare URL, so
    the page showed the link with literal asterisks; JupyterLab does not. An autolink in
    angle brackets ends where the author meant, in both.
    """

    def bracket(text: str) -> str:
        def one(match: re.Match) -> str:
            url = match.group(0)
            trimmed = url.rstrip(".,;:!?")
            return f"<{trimmed}>{url[len(trimmed):]}"

        return BARE_URL.sub(one, text)

    out, position = [], 0
    for code in CODE.finditer(source):
        out.append(bracket(source[position:code.start()]))
        out.append(code.group(0))
        position = code.end()
    out.append(bracket(source[position:]))
    return "".join(out)


class _Headings(HTMLParser):
    """Collect <h1>..<h6 id=...> from rendered HTML, for the page's table of contents."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag) and dict(attrs).get("id"):
            self._open = {"level": int(tag[1]), "id": dict(attrs)["id"], "name": "", "children": []}
        elif tag == "a" and self._open is not None:
            self._open["in_anchor"] = True

    def handle_endtag(self, tag):
        if self._open is None:
            return
        if tag == "a":
            self._open.pop("in_anchor", None)
        elif tag == f"h{self._open['level']}":
            self._open["name"] = self._open["name"].strip()
            self.found.append(self._open)
            self._open = None

    def handle_data(self, data):
        if self._open is not None and not self._open.get("in_anchor"):
            self._open["name"] += data


def nest(headings: list[dict]) -> list[dict]:
    """Flat headings -> MkDocs' nested toc tokens."""
    roots: list[dict] = []
    stack: list[dict] = []
    for heading in headings:
        token = {**heading, "children": [], "name": html.escape(heading["name"])}
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else roots).append(token)
        stack.append(token)
    return roots


STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
# nbconvert's template loads MathJax from a CDN with a blocking <script src>; the lessons
# have no maths, and the site must work offline in a workshop room.
MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


def render_notebook(notebook: Path, cache_dir: Path) -> RenderedNotebook:
    """mkdocs-jupyter's HTML for a notebook (never executed), with its CSS pulled out."""
    return _cached(cache_dir, notebook.read_bytes(), "", lambda: _convert(notebook))


def render_lesson_notebook(source: Path, work_copy: Path, cache_dir: Path) -> RenderedNotebook:
    """A lesson's notebook as its page shows it (title trimmed, bare URLs bracketed), rendered
    once per content: a warm build reads it back without loading nbformat at all."""
    return _cached(cache_dir, source.read_bytes(), "/as-shown", lambda: _convert(trim_title(source, work_copy)))


def _cached(cache_dir: Path, content: bytes, variant: str, render) -> RenderedNotebook:
    """render() once per content (and renderer version); read back from cache_dir after that."""
    import mkdocs_jupyter

    key = hashlib.sha256(content + f"{mkdocs_jupyter.__version__}/{NOTEBOOK_RENDER_VERSION}{variant}".encode())
    cached = cache_dir / f"{key.hexdigest()}.json"
    if cached.is_file():
        data = json.loads(cached.read_text(encoding="utf-8"))
        return RenderedNotebook(data["html"], data["toc"], data["styles"])
    rendered = render()
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(vars(rendered)), encoding="utf-8")
    return rendered


def _convert(notebook: Path) -> RenderedNotebook:
    from mkdocs_jupyter.convert import nb2html

    # no_prompt: the notebooks are stored without outputs, so "In [ ]:" would only be noise.
    # The "highlight" class lets Material colour the code, in light and dark palettes alike.
    body = nb2html(str(notebook), execute=False, no_prompt=True, highlight_extra_classes="highlight")
    body = MATHJAX.sub("", body)
    styles = [style.strip() for style in STYLE.findall(body)]
    body = STYLE.sub("", body).strip()
    parser = _Headings()
    parser.feed(body)
    return RenderedNotebook(body, nest(parser.found), styles)


def notebook_css(rendered: list[RenderedNotebook]) -> str:
    """One stylesheet for every notebook, instead of ~600 kB of CSS inlined on each page.

    mkdocs-jupyter renders with JupyterLab's light theme; its dark theme is added for
    Material's dark palette, so the notebooks follow the palette toggle.
    """
    import mkdocs_jupyter

    seen: list[str] = []
    for notebook in rendered:
        for style in notebook.styles:
            # nbconvert's pygments colours (light only): Material's palette-aware colours win
            if style not in seen and "td.linenos" not in style:
                seen.append(style)
    dark = Path(mkdocs_jupyter.__file__).parent / "templates" / "mkdocs_html" / "assets" / "theme-dark.css"
    if dark.is_file():
        seen.append(dark.read_text(encoding="utf-8").replace(
            ".jupyter-wrapper", '[data-md-color-scheme="slate"] .jupyter-wrapper'))
    return "\n".join(seen) + "\n"


def page_with_notebook(
    page_html: str, lesson: Lesson, rendered: RenderedNotebook | None, stylesheet_href: str | None
) -> str:
    """Swap the placeholder for the rendered notebook; link the shared notebook CSS."""
    if rendered is None:
        return page_html
    placeholder = notebook_placeholder(lesson)
    if placeholder not in page_html:
        raise ValueError(f"{lesson_uri(lesson)}: the notebook placeholder went missing")
    stylesheet = f'<link rel="stylesheet" href="{stylesheet_href}">\n' if stylesheet_href else ""
    notebook = f'<div class="shiplings-notebook">\n{rendered.html}\n</div>'
    return stylesheet + page_html.replace(placeholder, notebook)


LINK = re.compile(r"<(a|img)\s[^>]*?\b(href|src)=\"([^\"]*)\"", re.S)
ELEMENT_ID = re.compile(r"\sid=\"([^\"]+)\"")


def broken_references(notebook_html: str, page_html: str, page_url: str, site_urls: set[str]) -> list[str]:
    """Links and images of a rendered notebook that lead nowhere on the built site.

    MkDocs checks the links of the Markdown it renders; a notebook is laid into its page
    after that, so its links are checked here. site_urls: every file's URL and destination
    path (`lessons/07_auth/`, `lessons/07_auth/index.html`, `assets/notebook.css`).
    """
    page_ids = set(ELEMENT_ID.findall(page_html))
    problems = []
    for tag, _, address in LINK.findall(notebook_html):
        what = "image" if tag == "img" else "link"
        address = html.unescape(address)
        scheme = urllib.parse.urlsplit(address).scheme
        if scheme in ("data", "mailto"):
            continue
        if scheme:
            if what == "image":
                problems.append(f"the image {address} loads from the internet; attach it to the notebook cell instead")
            continue
        path, _, fragment = address.partition("#")
        if not path:
            if fragment and fragment not in page_ids:
                problems.append(f"the link {address} points to no heading or anchor on the page")
            continue
        target = posixpath.normpath(posixpath.join(page_url, urllib.parse.unquote(path)))
        if target.startswith(".."):
            problems.append(f"the {what} {address} points outside the site")
        elif not {target, target + "/", posixpath.join(target, "index.html")} & site_urls:
            problems.append(f"the {what} {address} leads to nothing on the site ({target})")
    return problems


def toc_with_notebook(page_toc: list[dict], notebook_toc: list[dict]) -> list[dict]:
    """The notebook's headings go under the page title, before "The checks"."""
    if not page_toc:
        return notebook_toc
    title = page_toc[0]
    children = title["children"]
    at = next((i for i, child in enumerate(children) if child["id"] == "checks"), len(children))
    # the notebook's own h1s (after the trimmed title) become sections of the page
    flattened = []
    for token in notebook_toc:
        flattened.extend(token["children"] if token["level"] == 1 else [token])
    return [{**title, "children": children[:at] + flattened + children[at:]}, *page_toc[1:]]
