"""The 404 page, working from whatever address a web server shows it at.

A web server shows 404.html for any address the site lacks (/shiplings/lessons/99_x.html),
so the page cannot link relative to its own address the way every other page does. MkDocs
writes its links from the server's root instead (`/assets/...`), which breaks as soon as the
site is served from a sub-path (/shiplings/) and when it is opened from disk. After the
build, the page gets links relative to the site's root plus a first script that finds that
root in the address, from the site's own top-level folders, and sets it as the page's
<base>: /shiplings/lessons/99_x.html -> /shiplings/. An address with no such folder in it
takes its own folder as the root (right for /shiplings/nope.html and for the file itself).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT_ABSOLUTE = re.compile(r'(\s(?:href|src)=")/(?!/)')
CONFIG = re.compile(r'(<script id="__config" type="application/json">.*?</script>)', re.S)

FIND_ROOT = """<script>
(function () {
  // the site's root in this address: the part before the first of the site's own folders
  var folders = %s, parts = location.pathname.split("/"), root = parts.slice(0, -1);
  for (var i = 1; i < parts.length - 1; i++) {
    if (folders.indexOf(decodeURIComponent(parts[i])) >= 0) { root = parts.slice(0, i); break; }
  }
  document.write('<base href="' + root.join("/").replace(/"/g, "%%22") + '/">');
})();
</script>"""

# Material resolves its base and search worker against the page's address, not <base>
ABSOLUTE_CONFIG = """<script>
(function () {
  var element = document.getElementById("__config"), config = JSON.parse(element.textContent);
  config.base = document.baseURI.replace(/[^/]*$/, "");
  if (config.search) config.search = new URL(config.search, document.baseURI).href;
  element.textContent = JSON.stringify(config);
})();
</script>"""


def relative_404(site_dir: Path) -> bool:
    """Rewrite site_dir/404.html as described above; False when the site has no 404 page."""
    page = site_dir / "404.html"
    if not page.is_file():
        return False
    folders = sorted(entry.name for entry in site_dir.iterdir() if entry.is_dir())
    text = ROOT_ABSOLUTE.sub(r"\1", page.read_text(encoding="utf-8"))
    text = text.replace('"base": "/"', '"base": "."').replace('"search": "/', '"search": "')
    # first in <head>, before any link, just after the charset (which must come in the first 1024 bytes)
    charset = re.search(r"<meta charset=[^>]*>", text)
    head = charset.end() if charset else text.index("<head>") + len("<head>")
    text = text[:head] + "\n" + FIND_ROOT % json.dumps(folders) + text[head:]
    text, found = CONFIG.subn(lambda match: match.group(1) + "\n" + ABSOLUTE_CONFIG, text, count=1)
    if not found:
        raise ValueError("404.html: Material's __config script is missing; the 404 page cannot be made relative")
    page.write_text(text, encoding="utf-8")
    return True
