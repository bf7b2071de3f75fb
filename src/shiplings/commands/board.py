"""shiplings board: the live class board of a workshop (for the instructor).

    shiplings board serve --host 0.0.0.0      start it; prints the join command for the room
    shiplings board code --hours 3            another join code (a late group, a second day)

Started by JupyterHub as a service (src/shiplings/board/jupyterhub_config.py), `board serve`
listens where the hub says (JUPYTERHUB_SERVICE_URL) and the hub signs learners and
instructors in (shiplings.board.hub).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from typing import Annotated
from urllib.parse import urlsplit

import typer

from shiplings.commands import common

board_app = typer.Typer(help="The live class board of a workshop (for the instructor).", no_args_is_help=True)

DatabaseOption = Annotated[str | None, typer.Option(
    "--database", help="A PostgreSQL URL for a big room; default: a SQLite file in the state folder.")]


def settings_for(database: str | None, **changes):
    from shiplings.board.settings import BoardSettings

    return BoardSettings(**({"database_url": database} if database else {}), **changes)


async def _new_code(settings, hours: float) -> dict:
    from shiplings.board.app import create_code
    from shiplings.board.db import create_tables, make_engine, make_sessionmaker

    engine = make_engine(settings.database)
    try:
        await create_tables(engine)
        async with make_sessionmaker(engine)() as session:
            return await create_code(session, hours)
    finally:
        await engine.dispose()


def prepare_page(settings) -> str | None:
    """Install Vue for the page (npm, through the course's npm cache); a reason when it cannot."""
    from shiplings import npm, services
    from shiplings.board.app import PAGE

    folder = settings.folder / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PAGE / name, folder / name)
    try:
        npm.ensure_dependencies(folder)
    except (services.ServiceUnavailable, npm.InstallFailed) as error:
        return str(error).splitlines()[0]
    return None


def address_for_learners(host: str) -> str:
    """The address learners type: this machine's address on the room's network when serving on all of them."""
    if host not in ("0.0.0.0", "::"):
        return host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: picks the outgoing interface, sends nothing
            return probe.getsockname()[0]
        except OSError:
            return socket.gethostname()


@board_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 lets the room reach it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    database: DatabaseOption = None,
    hours: Annotated[float, typer.Option(help="How long the join code printed at start works.")] = 8,
    new_secret: Annotated[bool, typer.Option("--new-secret", help="Replace the instructor secret.")] = False,
) -> None:
    """Start the class board: learners join with the printed code, you sign in with the secret."""
    import uvicorn

    from shiplings.board import hub
    from shiplings.board.app import create_app
    from shiplings.board.logs import configure_logging
    from shiplings.board.security import InstructorKeys

    settings = settings_for(database)
    on_hub = hub.under_hub()
    if on_hub and os.environ.get("JUPYTERHUB_SERVICE_URL"):  # the hub's proxy sends the board's requests here
        where = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
        host, port = where.hostname or host, where.port or port
    secret = InstructorKeys(settings.folder).ensure(renew=new_secret)
    problem = prepare_page(settings)
    code = asyncio.run(_new_code(settings, hours))
    url = f"http://{address_for_learners(host)}:{port}"
    say = common.console.print
    say(f"[bold]Class board[/] on {url}  (data: {settings.database_url and 'PostgreSQL' or settings.database})")
    if secret:
        say(f"Instructor secret (shown once, keep it): [bold]{secret}[/]")
    else:
        say("Instructor secret: the one printed when this board first started (`--new-secret` replaces it).")
    if on_hub:
        say(f"A JupyterHub service at {hub.service_prefix()}/: instructors sign in through the hub; learners run "
            "[bold]shiplings join --hub[/] in their server (their hub token, no code).")
    say(f"Learners run:  [bold]shiplings join {url} {code['code']} --name \"Their name\"[/]  "
        f"(the code works for {hours:g} h)")
    if problem:
        say(f"[yellow]The board's page cannot load Vue:[/] {problem} The API works; the page needs Node and npm.")
    configure_logging(settings.log_level, settings.log_json)
    # the live pages' streams never end by themselves: give them 3 s when the board stops
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=3)


@board_app.command("code")
def code(
    hours: Annotated[float, typer.Option(help="How long the code works.")] = 8,
    database: DatabaseOption = None,
) -> None:
    """Make another join code (the board keeps running; codes work until they expire)."""
    made = asyncio.run(_new_code(settings_for(database), hours))
    common.console.print(f"Join code [bold]{made['code']}[/] works for {hours:g} h.")
