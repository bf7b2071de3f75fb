"""shiplings site: build or serve the course website (for authors)."""

from __future__ import annotations

from typing import Annotated

import typer

from shiplings.commands import common
from shiplings.net import free_port
from shiplings.site import build as site_build
from shiplings.site.paths import SitePaths

site_app = typer.Typer(help="Build or preview the course website (MkDocs Material).", no_args_is_help=True)


@site_app.command("build")
def build(
    strict: Annotated[bool, typer.Option(help="Fail on any MkDocs warning (broken link, missing page).")] = True,
) -> None:
    """Build the website into site/build/html/ from the manifest, notebooks, overlays and CLI."""
    root = common.root()
    code, seconds = site_build.build(root, strict=strict)
    if code:
        common.fail(f"The site did not build (mkdocs exit status {code}); the messages above say why.", code)
    output = SitePaths(root).html
    common.console.print(f"Built the site in {seconds:.1f} s: {output / 'index.html'}")
    common.console.print("Serve it from any web server path, or preview it with `shiplings site serve`.")


@site_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
) -> None:
    """Preview the website with live reload while you edit guides, notebooks or the manifest."""
    root = common.root()
    port = port or free_port()
    common.console.print(f"Serving the site on http://127.0.0.1:{port}/ (Ctrl+C stops).")
    raise typer.Exit(site_build.serve(root, port))
