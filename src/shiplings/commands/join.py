"""shiplings join: report your checks to your workshop's class board."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from shiplings.commands import common


def join(
    url: Annotated[str | None, typer.Argument(help="The board's address, as your instructor shows it.")] = None,
    code: Annotated[str | None, typer.Argument(help="The join code, as your instructor shows it.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Your name on the board.")] = None,
    leave: Annotated[bool, typer.Option("--leave", help="Stop reporting to the board.")] = False,
    hub: Annotated[bool, typer.Option("--hub", help="On a JupyterHub: join with your hub account (no code; "
                                      "the address defaults to $SHIPLINGS_BOARD_URL).")] = False,
) -> None:
    """Join a workshop's class board: from then on check, next and doctor report your results to it.

    Without arguments: which board you report to, or why it stopped taking your results.
    The board sees the lesson, each check's name, pass or fail and how long it took:
    never your code or what your app printed. A board that is down never slows your checks.
    """
    import httpx

    from shiplings.board import outbox
    from shiplings.paths import state_dir

    if leave:
        left = outbox.membership()
        for file in (outbox.MEMBERSHIP, outbox.OUTBOX, outbox.REMOVED):
            (state_dir() / file).unlink(missing_ok=True)
        common.console.print("You left the board." if left else "You had not joined a board.")
        return
    if hub:
        url = url or os.environ.get("SHIPLINGS_BOARD_URL")
        token = os.environ.get("JUPYTERHUB_API_TOKEN")
        if not (url and token):
            common.fail("`shiplings join --hub` works in your server on a JupyterHub: it needs the board's address "
                        "(the argument, or SHIPLINGS_BOARD_URL that the hub sets) and JUPYTERHUB_API_TOKEN. "
                        "Elsewhere, join with the code your instructor shows.")
    elif not (url or code or name):
        tell_status()
        return
    elif not (url and code and name):
        common.fail(USAGE)
    url = url.rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    try:
        if hub:  # the hub says who you are: your server's token is your membership
            response = httpx.post(f"{url}/api/join/hub", headers={"Authorization": f"token {token}"}, timeout=10)
        else:
            response = httpx.post(f"{url}/api/join", json={"code": code, "name": name}, timeout=10)
    except httpx.HTTPError as error:
        common.fail(f"The board at {url} did not answer ({type(error).__name__}). Check the address with your "
                    "instructor, and that you are on the room's network.")
    if response.status_code not in (200, 201):
        try:
            said = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            said = f"it answered {response.status_code}"
        common.fail(f"The board did not let you join: {said}")
    joined = response.json()
    outbox.save_membership(url, joined["token"], joined["learner_id"], joined["name"])
    (state_dir() / outbox.REMOVED).unlink(missing_ok=True)
    common.console.print(f"[green]✓[/] You joined the board at {url} as {joined['name']}. "
                         "Your check, next and doctor results go to it (never your code).")
    common.console.print("Now run `shiplings doctor`: your instructor sees at once whether your machine is ready.")


USAGE = ("Run `shiplings join URL CODE --name \"Your name\"` with the address and code your instructor shows "
         "(or `shiplings join --leave` to stop reporting).")


def tell_status() -> None:
    """Which board this learner reports to; asks it, so a removal is told even before the next check."""
    import httpx

    from shiplings.board import outbox

    joined = outbox.membership()
    if joined is not None:
        try:
            token = joined["token"] or os.environ.get("JUPYTERHUB_API_TOKEN", "")
            response = httpx.get(f"{joined['url']}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 410:
            outbox.note_removed(joined, response)
        else:
            reached = "" if response is not None else " (it does not answer right now: your results wait for it)"
            common.console.print(f"You report to the board at {joined['url']} as {joined['name']}{reached}.")
            return
    removed = outbox.removal()
    if removed is not None:
        common.fail(f"The board at {removed['url']} no longer takes your results ({removed['name']}): "
                    f"{removed['message']}", code=1)
    common.fail(USAGE)
