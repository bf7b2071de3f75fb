"""What lesson checks share: the learner's app, in-process or as a real server.

Loaded as a pytest plugin (`-p shiplings.testing`) by the check runner, so every
checks/<lesson>/ module can ask for these fixtures:

- `workspace`: the folder of the learner's app (SHIPLINGS_WORKSPACE)
- `app`: the learner's ASGI app, freshly imported for each check
- `client`: an httpx.AsyncClient talking to `app` in-process, lifespan running

and import helpers such as `show(response)` to write learner-facing messages.
Checks are plain `async def test_...` functions with `assert cond, "message"`.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

from shiplings.net import free_port  # noqa: F401  (checks import it from here)

# The last thing a check asked the app to do, for the "did not answer" message.
CURRENT_ACTION: list[str] = []


def workspace() -> Path:
    return Path(os.environ.get("SHIPLINGS_WORKSPACE") or Path.cwd() / "workspace").resolve()


def entry_module(folder: Path | None = None) -> str:
    """The module that holds `app`: app/main.py once the app is a package, else main.py."""
    folder = folder or workspace()
    return "app.main" if (folder / "app" / "main.py").is_file() else "main"


def forget_workspace_modules(folder: Path | None = None) -> None:
    """Drop the learner's modules from sys.modules so the next import reads the files anew."""
    folder = str(folder or workspace())
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(folder):
            del sys.modules[name]


def import_fresh(name: str) -> ModuleType:
    """Import one of the learner's modules from the files as they are now."""
    folder = workspace()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    forget_workspace_modules(folder)
    importlib.invalidate_caches()
    return importlib.import_module(name)


def load_app():
    module = import_fresh(entry_module())
    app = getattr(module, "app", None)
    assert app is not None, (
        f"{module.__file__} should define `app` (the FastAPI application), "
        "so that `uvicorn ...:app` can find it."
    )
    return app


def show(response) -> str:
    """A response as a learner reads it: status and a short body."""
    try:
        body = json.dumps(response.json())
    except ValueError:
        body = response.text
    if len(body) > 300:
        body = body[:300] + "..."
    return f"{response.status_code} {body}".rstrip()


def timeout_message(seconds: object) -> str:
    action = CURRENT_ACTION[-1] if CURRENT_ACTION else "the check"
    return (
        f"Your app did not answer within {seconds} s while the check was running {action}. "
        "Look for an endless loop or a call that waits forever (a blocking sleep, "
        "a request without a timeout) in the code that handles it."
    )


async def _record(request) -> None:
    CURRENT_ACTION.append(f"{request.method} {request.url.path}")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(name="workspace")
def workspace_fixture() -> Path:
    return workspace()


@pytest.fixture
def app():
    return load_app()


@pytest.fixture
async def client(app) -> AsyncIterator:
    import httpx

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            event_hooks={"request": [_record]},
        ) as http:
            yield http
