"""Where the site's sources and build products live, under a course root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SitePaths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "site" / "mkdocs.yml"

    @property
    def build(self) -> Path:
        return self.root / "site" / "build"

    @property
    def html(self) -> Path:
        return self.build / "html"

    @property
    def staging(self) -> Path:
        """Generated Markdown pages, laid over site/docs/ by the hook."""
        return self.build / "staging" / "docs"

    @property
    def notebooks(self) -> Path:
        """Notebook copies as rendered (title cell trimmed), beside the staged pages."""
        return self.build / "staging" / "notebooks"

    @property
    def vendor(self) -> Path:
        """Third-party scripts fetched once from the npm registry, kept between builds."""
        return self.build / "vendor"

    @property
    def executed(self) -> Path:
        """Lesson notebooks as `shiplings dev check` executed them, with outputs (see executed.py)."""
        return self.build / "executed"

    @property
    def cache(self) -> Path:
        """Rendered notebook HTML, keyed by content: unchanged notebooks are not re-rendered."""
        return self.build / "cache" / "notebooks"

    @property
    def diffs(self) -> Path:
        """The diffs between two overlay trees, keyed by the trees' content."""
        return self.build / "cache" / "diffs"

    @property
    def content_caches(self) -> Path:
        """Highlighted code and search entries, keyed by content (see cache.py)."""
        return self.build / "cache"
