"""Build products kept between builds, keyed by a hash of everything they are made from.

A warm rebuild (nothing changed, or one notebook) should not redo the slow parts: the
syntax highlighting of every diff and solution file, the search entries of every lesson
page, the diffs themselves. Each of those is a pure function of its inputs, so its result is
stored under a hash of them; a changed input is a new key, never a stale hit. One JSON file
per kind under site/build/cache/; a save keeps only what the build used, so it never grows.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

# Bump to throw every cached result away (when what a cached function makes changes shape).
CACHE_VERSION = "1"


def content_key(*parts: Any) -> str:
    """A hash of the inputs; bytes are hashed as they are, anything else as its JSON."""
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode()
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


class ContentCache:
    """A dict on disk: results by content key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.stored = {}
        self.used: dict[str, Any] = {}
        self.hits = self.misses = 0

    def get(self, key: str) -> Any | None:
        value = self.used.get(key, self.stored.get(key))
        if value is not None:
            self.used[key] = value
            self.hits += 1
        else:
            self.misses += 1
        return value

    def summary(self) -> str:
        return f"{self.hits} of {self.hits + self.misses}"

    def put(self, key: str, value: Any) -> Any:
        self.used[key] = value
        return value

    def save(self) -> None:
        """Write what this build used (a partial file is never read: it is renamed into place)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".part")
        partial.write_text(json.dumps(self.used, separators=(",", ":")), encoding="utf-8")
        partial.replace(self.path)


_highlight_cache: ContentCache | None = None


def cache_highlighting(cache: ContentCache | None) -> None:
    """Send pymdownx's code highlighting (Pygments, the slowest part of rendering the lesson
    pages: every diff and solution file) through `cache`; None turns the cache off again.

    The HTML of a code block depends only on its text, its arguments and the highlighter's
    settings, which make the key. A title in HTML mode goes through the page's HTML stash
    (a side effect a cached string would skip), so such blocks are not cached.
    """
    global _highlight_cache
    import inspect
    from importlib.metadata import version

    from pymdownx.highlight import Highlight

    _highlight_cache = cache
    if getattr(Highlight.highlight, "shiplings_cached", False):
        return
    original = Highlight.highlight
    signature = inspect.signature(original)
    versions = [version("pymdown-extensions"), version("pygments")]

    def highlight(self, *args, **kwargs):
        cache = _highlight_cache
        arguments = signature.bind(self, *args, **kwargs).arguments
        if cache is None or arguments.get("inline") or getattr(self, "title_mode", "text") != "text":
            return original(self, *args, **kwargs)
        settings = {name: value for name, value in vars(self).items() if name != "md"}
        key = content_key(versions, settings, {name: value for name, value in arguments.items() if name != "self"})
        found = cache.get(key)
        return found if found is not None else cache.put(key, original(self, *args, **kwargs))

    highlight.shiplings_cached = True
    Highlight.highlight = highlight
