"""A pinned copy of mermaid.js, bundled into the site so its diagrams draw offline."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from shiplings.site.paths import SitePaths

# Material for MkDocs fetches mermaid.js from a CDN unless the page already defines
# `mermaid`. A workshop room may have no internet, so the build bundles a pinned copy.
MERMAID_VERSION = "11.12.3"
MERMAID_SHA256 = "71dc54e481779b526de5e615c2eb00c99fa5acb75da9c5524d02e333d2fda89a"


def vendored_mermaid(paths: SitePaths, npm: str | None = None) -> Path | None:
    """mermaid.min.js from the npm registry (`npm pack`), cached in site/build/vendor/.

    Without npm or the registry the site still builds: its diagrams then load mermaid
    from the CDN, as Material does by default, and a note says so.
    """
    cached = paths.vendor / f"mermaid-{MERMAID_VERSION}.min.js"
    if cached.is_file():
        return cached
    npm = npm or shutil.which("npm")
    if npm is None:
        print("shiplings: npm not found; the site's diagrams will load mermaid.js from the internet", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as scratch:
        try:
            packed = subprocess.run(
                [npm, "pack", f"mermaid@{MERMAID_VERSION}", "--pack-destination", scratch, "--silent"],
                capture_output=True, text=True, timeout=180,
            )
        except subprocess.TimeoutExpired:
            packed = None
        tarballs = list(Path(scratch).glob("*.tgz"))
        if packed is None or packed.returncode != 0 or not tarballs:
            why = packed.stderr.strip().splitlines()[-1:] if packed else ["timed out"]
            print(f"shiplings: could not fetch mermaid {MERMAID_VERSION} with npm ({' '.join(why)}); "
                  "the site's diagrams will load it from the internet", file=sys.stderr)
            return None
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile("package/dist/mermaid.min.js")
            script = member.read() if member else b""
    if hashlib.sha256(script).hexdigest() != MERMAID_SHA256:
        raise ValueError(f"mermaid {MERMAID_VERSION} from npm does not match its pinned checksum: not using it")
    paths.vendor.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(cached)
    return cached
