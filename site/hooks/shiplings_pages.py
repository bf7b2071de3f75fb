"""MkDocs hook: lay the generated course pages over site/docs/ (see the package shiplings.site).

on_config   loads the caches of highlighted code and search entries (shiplings.site.cache),
            generates the lesson and instructor pages into site/build/staging/, puts the
            lessons, part by part in manifest order, into the "Lessons" section of the nav,
            one instructor page per lesson into "Instructor view", and
            adds the bundled scripts (mermaid.js, so diagrams render offline).
on_env      keeps the compiled page templates between builds.
on_files    adds the staged pages to the site.
on_page_markdown  fills `<!-- shiplings:NAME -->` markers in the hand-written guides
                  (the command reference from the Typer app, which this hook hands in
                  as a loader: it is imported only when the cached reference is stale).
on_page_content   puts each rendered notebook into its lesson page and its headings
                  into the page's table of contents.
on_post_build     indexes the lesson pages again, every section in full and without the
                  diffs and solution files (shiplings.site.search says why), and makes
                  the 404 page work from any address (shiplings.site.notfound).
"""

from __future__ import annotations

import logging
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

from shiplings.site.cache import ContentCache, cache_highlighting
from shiplings.site.generate import Generated, generate
from shiplings.site.guides import Sources, fill_markers
from shiplings.site.notebooks import broken_references, page_with_notebook, toc_with_notebook
from shiplings.site.notfound import relative_404
from shiplings.site.paths import SitePaths
from shiplings.site.search import IndexedPage, reindex

log = logging.getLogger("mkdocs.plugins.shiplings")
generated: Generated | None = None
caches: dict[str, ContentCache] = {}  # by content hash, kept between builds (shiplings.site.cache)
sources: Sources | None = None
lesson_pages: list[IndexedPage] = []


def on_config(config):
    global generated, sources, caches
    lesson_pages.clear()
    root = Path(config.config_file_path).resolve().parent.parent
    folder = SitePaths(root).content_caches
    caches = {"search": ContentCache(folder / "search.json"), "highlight": ContentCache(folder / "highlight.json")}
    cache_highlighting(caches["highlight"])
    try:
        generated = generate(root)
    except Exception as error:  # a broken manifest or notebook: say which, stop the build
        raise PluginError(f"shiplings could not generate the lesson pages: {error}") from error
    sources = Sources(generated.course, generated.root, cli_loader=typer_app)
    for section, pages, index_page in (("Lessons", generated.nav(), "lessons/index.md"),
                                       ("Instructor view", generated.instructor_nav(), "instructors/index.md")):
        for index, entry in enumerate(config.nav or []):
            if isinstance(entry, dict) and section in entry:
                config.nav[index] = {section: pages}
                break
        else:
            raise PluginError(f'site/mkdocs.yml: the nav needs a "{section}: {index_page}" entry to fill in')
    # first: site/mkdocs.yml's own scripts (javascripts/readable.js) use the bundled mermaid
    config.extra_javascript[:0] = generated.scripts
    return config


def typer_app():
    from shiplings.cli import app  # only when the cached command reference is out of date

    return app


def on_env(env, config, files):
    # Material's templates compiled once, not on every build (Jinja checks each template's source)
    folder = SitePaths(generated.root).content_caches / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    env.bytecode_cache = FileSystemBytecodeCache(str(folder))
    return env


def on_files(files, config):
    for path in sorted(generated.staging.rglob("*")):
        if not path.is_file():
            continue
        uri = path.relative_to(generated.staging).as_posix()
        if files.get_file_from_path(uri) is not None:
            raise PluginError(f"site/docs/{uri} would hide the generated page of the same name: rename it")
        files.append(File(uri, str(generated.staging), config.site_dir, config.use_directory_urls))
    return files


def on_page_markdown(markdown, page, config, files):
    try:
        return fill_markers(markdown, sources, page.file.src_uri)
    except Exception as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from error


def on_page_content(html, page, config, files):
    lesson_page = generated.page(page.file.src_uri)
    if lesson_page is None or lesson_page.notebook is None:
        return html
    page.toc = get_toc(toc_with_notebook(tokens(page.toc), lesson_page.notebook.toc))
    stylesheet = get_relative_url(generated.notebook_css, page.url) if generated.notebook_css else None
    html = page_with_notebook(html, lesson_page.lesson, lesson_page.notebook, stylesheet)
    # a warning, as MkDocs reports its own broken links: `--strict` (shiplings site build) fails on it
    site_urls = {file.url for file in files} | {file.dest_uri for file in files}
    for problem in broken_references(lesson_page.notebook.html, html, page.url, site_urls):
        log.warning(f"lessons/{lesson_page.lesson.id}/lesson.ipynb: {problem}")
    return html


@event_priority(100)  # before the search plugin strips the data-search-exclude marks from the page
def on_page_context(context, page, config, nav):
    if generated.page(page.file.src_uri) is not None:
        lesson_pages.append(IndexedPage(page.content, page.toc, page.url, page.title, dict(page.meta)))
        # the search plugin need not parse the page too: on_post_build indexes it (the slowest step otherwise)
        page.meta["search"] = {**(page.meta.get("search") or {}), "exclude": True}
    return context


@event_priority(-50)  # after the search plugin has written its index, before the offline plugin copies it
def on_post_build(config):
    search = config.plugins.get("material/search") or config.plugins.get("search")
    index_file = Path(config.site_dir) / "search" / "search_index.json"
    if search is None or not index_file.is_file():
        raise PluginError("site/mkdocs.yml: the lesson pages need Material's search plugin (plugins: - search)")
    reindex(index_file, lesson_pages, dict(search.config), caches["search"])
    lesson_pages.clear()
    relative_404(Path(config.site_dir))
    for cache in caches.values():
        cache.save()
    cache_highlighting(None)
    log.info(f"shiplings: reused by content hash: {caches['highlight'].summary()} highlighted code blocks, "
             f"the search entries of {caches['search'].summary()} lesson pages")


def tokens(toc) -> list[dict]:
    return [
        {"level": item.level, "id": item.id, "name": item.title, "children": tokens(item.children)}
        for item in toc
    ]
