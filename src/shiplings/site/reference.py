"""The command reference, read from a Typer app that the caller hands in.

This module never imports shiplings.cli: the CLI imports the site's build (through
`shiplings site`), so the app comes in as a parameter and no import cycle forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shiplings.site.markdown import fence, plain_markdown, table_cell

if TYPE_CHECKING:
    import typer


def cli_reference_markdown(app: typer.Typer) -> str:
    """Every command, argument and option, read from the Typer app itself (shiplings.cli.app)."""
    import typer.main

    group = typer.main.get_command(app)
    out = [command_markdown(group, ["shiplings"], None, heading="##")]  # no command: JupyterLab
    learner, authors = [], []
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if getattr(command, "commands", None):
            authors.append((name, command))
        else:
            learner.append((name, command))
    for name, command in learner:
        out.append(command_markdown(command, ["shiplings", name], group, heading="##"))
    for name, subgroup in authors:
        out.append(f"## `shiplings {name}`: {plain(subgroup.help or '').rstrip('.').lower()}\n")
        for sub_name, sub_command in subgroup.commands.items():
            if not sub_command.hidden:
                out.append(command_markdown(sub_command, ["shiplings", name, sub_name], subgroup, heading="###"))
    return "\n".join(out)


def plain(text: str) -> str:
    """Help text without Rich markup."""
    from rich.text import Text

    try:
        return Text.from_markup(text).plain
    except Exception:
        return text


def command_markdown(command, words: list[str], parent, heading: str) -> str:
    from typer import _click as click

    context = click.Context(command, info_name=" ".join(words))
    arguments = [p for p in command.params if p.param_type_name == "argument" and not p.hidden]
    options = [p for p in command.params if p.param_type_name == "option" and not p.hidden]
    usage = " ".join(words)
    if options:
        usage += " [OPTIONS]"
    for argument in arguments:
        name = argument.name.upper() + ("..." if argument.nargs == -1 else "")
        usage += f" {name}" if argument.required else f" [{name}]"
    help_text = plain(command.help or "").strip()
    out = [f"{heading} `{' '.join(words)}`\n", help_text + "\n", fence(f"$ {usage}", "console")]
    rows = []
    for param in arguments + options:
        record = param.get_help_record(context)
        if record is None:
            continue
        names, described, extras = help_parts(param, record)
        if param.param_type_name == "argument":
            names = param.name.upper()
        rows.append(f"| `{table_cell(names)}` | {table_cell(described)} | {table_cell(extras)} |")
    if rows:
        out.append("| Argument or option | What it does | Default, range, required |\n|---|---|---|\n"
                   + "\n".join(rows) + "\n")
    return "\n".join(out)


def help_parts(param, record: tuple[str, str]) -> tuple[str, str, str]:
    """(names, help, extras) of a parameter, from the help record Click and Typer compose.

    The record ends its help with `  [default: 1; x>=1; required]`: taken apart here, since
    Rich markup would read that bracket as a tag and drop it (the reference once lost every
    default that way).
    """
    names, description = record
    help_text = getattr(param, "help", None) or ""
    extras = ""
    if description.startswith(help_text) and description[len(help_text):].strip().startswith("["):
        extras = description[len(help_text):].strip()[1:-1]
    elif description.startswith("["):
        help_text, extras = "", description[1:-1]
    shown = "; ".join(f"**{part}**" if part == "required" else f"`{part}`" for part in extras.split("; ") if part)
    return names, plain_markdown(plain(help_text).strip()), shown
