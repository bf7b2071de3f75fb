"""Pinned copies of mermaid.js and iframe-worker, bundled into the site so its diagrams
draw and its search runs offline, even from file://."""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from shiplings.site.paths import SitePaths

# Material for MkDocs fetches mermaid.js from a CDN unless the page already defines
# `mermaid`. A workshop room may have no internet, so the build bundles a pinned copy.
MERMAID_VERSION = "11.12.3"
MERMAID_SHA256 = "71dc54e481779b526de5e615c2eb00c99fa5acb75da9c5524d02e333d2fda89a"
# Material's offline plugin runs the search worker in an iframe from file://, with this shim.
IFRAME_WORKER_VERSION = "1.0.4"
IFRAME_WORKER_SHA256 = "e8e412dbcfea9b7e31b5ffa288d7b6035915e714c542f4176a0cdbe262fc9609"


class MermaidUnavailable(RuntimeError):
    """mermaid.js could not be bundled: the build stops and says how to fix it."""


def how_to_fix(paths: SitePaths) -> str:
    return (f"Install Node.js with npm (`shiplings doctor` says how) and build again, or copy "
            f"dist/mermaid.min.js of mermaid {MERMAID_VERSION} to "
            f"{paths.vendor / f'mermaid-{MERMAID_VERSION}.min.js'} (and shim/index.js of iframe-worker "
            f"{IFRAME_WORKER_VERSION} to {paths.vendor / f'iframe-worker-{IFRAME_WORKER_VERSION}-index.js'}).")


def vendored_mermaid(paths: SitePaths, npm: str | None = None, timeout: float = 60) -> Path:
    """mermaid.min.js from the npm registry (`npm pack`), cached in site/build/vendor/.

    Without it the diagrams would need the internet (Material would load mermaid.js from a
    CDN), which a workshop room may not have: the build fails instead, quickly, saying why.
    """
    return vendored_file(paths, "mermaid", MERMAID_VERSION, "package/dist/mermaid.min.js", MERMAID_SHA256,
                         npm, timeout)


def vendored_iframe_worker(paths: SitePaths, npm: str | None = None, timeout: float = 60) -> Path:
    """iframe-worker's shim, which lets Material's search run from file:// (the offline
    plugin would otherwise load it from a CDN)."""
    return vendored_file(paths, "iframe-worker", IFRAME_WORKER_VERSION, "package/shim/index.js",
                         IFRAME_WORKER_SHA256, npm, timeout)


def vendored_file(paths: SitePaths, package: str, version: str, member_name: str, sha256: str,
                  npm: str | None = None, timeout: float = 60) -> Path:
    """One file of a pinned npm package, fetched once with `npm pack`, kept in site/build/vendor/."""
    cached = paths.vendor / f"{package}-{version}-{posixpath.basename(member_name)}"
    if package == "mermaid":
        cached = paths.vendor / f"mermaid-{MERMAID_VERSION}.min.js"  # the name earlier builds cached it under
    if cached.is_file():
        return cached
    npm = npm or shutil.which("npm")
    if npm is None:
        raise MermaidUnavailable(f"npm is not installed, so {package} cannot be bundled. {how_to_fix(paths)}")
    with tempfile.TemporaryDirectory() as scratch:
        # one attempt with a bounded wait: npm's default retries stall for minutes without a registry
        command = [npm, "pack", f"{package}@{version}", "--pack-destination", scratch, "--silent",
                   "--fetch-retries=0", "--fetch-timeout=20000"]
        try:
            packed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            packed = None
        tarballs = list(Path(scratch).glob("*.tgz"))
        if packed is None or packed.returncode != 0 or not tarballs:
            why = packed.stderr.strip().splitlines()[-1:] if packed else [f"no answer within {timeout:.0f} s"]
            raise MermaidUnavailable(f"`npm pack {package}@{version}` failed ({' '.join(why) or 'no tarball'}). "
                                     + how_to_fix(paths))
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile(member_name)
            script = member.read() if member else b""
    if hashlib.sha256(script).hexdigest() != sha256:
        raise MermaidUnavailable(f"{package} {version} from npm does not match its pinned checksum: not using it")
    paths.vendor.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(script)
    partial.replace(cached)
    return cached
