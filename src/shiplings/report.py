"""How a check result looks to a learner: one line per check, then what to do.

A terminal gets Rich text wrapped to its width; output piped into a file or another
program keeps every line whole; a notebook gets HTML that wraps to the cell's width.
"""

from __future__ import annotations

import io
import os
from html import escape as html_escape

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.markup import escape
from rich.padding import Padding
from rich.syntax import Syntax
from rich.text import Text

from shiplings import spelling
from shiplings.runner import RunResult

MARKS = {
    "passed": "[green]✓[/]",
    "failed": "[red]✗[/]",
    "timeout": "[red]⏱[/]",
    "error": "[red]✗[/]",
    "missing": "[magenta]?[/]",
    "skipped": "[dim]-[/]",
    "unavailable": "[yellow]![/]",
}


class Indented:
    """Text indented under the line it explains.

    On a terminal it wraps with a hanging indent (Rich's Padding); when the console soft
    wraps (output piped or redirected) each line is printed whole, since Padding would cut
    it at the console's width.
    """

    def __init__(self, text: Text, indent: int) -> None:
        self.text = text
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.no_wrap:
            for line in self.text.split("\n", allow_blank=True):
                yield Text(" " * self.indent) + line
        else:
            yield Padding(self.text, (0, 0, 0, self.indent))


# what stands beside a check that cannot run for the reason the report has already given
SAID_ABOVE = "(cannot run, as above)"
# what ends a reason cut short where it goes on as one printed above it
REST_AS_ABOVE = "(The rest as above.)"
# a shared ending shorter than this is printed again: cutting it would save the reader nothing
SHARED_AT_LEAST = 80


def messages(result: RunResult) -> list[str | None]:
    """What to print under each check of the report: its message, "" for none, or None where it
    cannot run for the very reason printed above it.

    A machine without Docker keeps ten of lesson 16's checks from running for one reason, and
    lesson 17's four for four reasons that end alike (how to get an engine): each fix is read
    once. A failure of the learner's code is always printed whole.
    """
    shown: list[str | None] = []
    told: list[str] = []
    for check in result.checks:
        explained = not check.passed and not check.retired and not result.app_error and check.message
        if not explained:
            shown.append("")
        elif not check.cannot_run:
            shown.append(check.message)
        else:
            shown.append(unsaid(check.message, told))
            told.append(check.message)
    return shown


def unsaid(message: str, told: list[str]) -> str | None:
    """The message without the sentences that end it as they end one told before; None if all were told."""
    if message in told:
        return None
    shared = max((len(os.path.commonprefix([message[::-1], earlier[::-1]])) for earlier in told), default=0)
    cut = len(message) - shared
    # the shared part is cut at a sentence's start, so that what is kept reads whole
    while cut < len(message) and not (cut >= 2 and message[cut - 2:cut] == ". "):
        cut += 1
    if len(message) - cut < SHARED_AT_LEAST:
        return message
    return f"{message[:cut].rstrip()} {REST_AS_ABOVE}"


def failing(result: RunResult) -> list:
    """Checks whose failure the learner should read (retired ones and those that cannot run never count)."""
    return [check for check in result.checks if not check.passed and not check.retired and not check.cannot_run]


def summary(result: RunResult, number: str) -> tuple[str, str]:
    """The report's last line: the count, then what to do next."""
    passed = sum(check.passed for check in result.checks)
    total = sum(not check.retired for check in result.checks)
    if result.passed:
        return (f"All {total} checks pass",
                f"({result.duration:.1f} s). Well done: on to the next lesson with `{spelling.command('next')}`.")
    blocked = sum(check.cannot_run for check in result.checks if not check.retired)
    count = f"{passed}/{total} checks pass" + (f", {blocked} cannot run on this machine" if blocked else "")
    install = (f"Install what {'they need' if blocked > 1 else 'it needs'} "
               f"(`{spelling.command('doctor')}` says how), then check again.")
    if blocked and not result.problem and len(failing(result)) == 0:
        return count, f"({result.duration:.1f} s). {install}"
    return (count,
            f"({result.duration:.1f} s). " + (install + " " if blocked else "")
            + f"Stuck? `{spelling.command(f'hint {number}')}` shows a hint for the first failing check.")


def render(result: RunResult, number: str) -> Group:
    """The whole report as a Rich renderable (the CLI and watch print it)."""
    parts: list = [Text.from_markup(f"[bold]Lesson {escape(result.lesson)}[/]: {escape(result.title)}")]
    if result.problem:
        parts.append(Indented(Text(spelling.respell(result.problem), style="red"), 2))
    if result.app_error:
        parts.append(app_error(result.app_error))
    # one app error explains every failure, and one reason every check it keeps from running
    for check, message in zip(result.checks, messages(result), strict=True):
        mark = MARKS.get(check.outcome, "?")
        line = Text.from_markup(f"  {mark} {escape(check.name)}")
        if check.retired:
            line.append("  (retired by a later lesson)", style="dim")
        if message is None:
            line.append(f"  {SAID_ABOVE}", style="dim")
        parts.append(line)
        if message:
            parts.append(Indented(Text(spelling.respell(message)), 6))
    count, advice = summary(result, number)
    parts.append(Text.assemble("\n", (count, "bold green" if result.passed else "bold"), " ", advice))
    return Group(*parts)


def numbered_code(error: dict) -> Text:
    """The offending code with its line numbers, highlighted like Python."""
    start = error.get("line") or 1
    code = Syntax(error["code"].strip("\n"), "python", theme="ansi_dark").highlight(error["code"].strip("\n"))
    code.rstrip()
    numbered = Text()
    for offset, line in enumerate(code.split("\n", allow_blank=True)):
        numbered.append(f"{start + offset:>4} ", style="dim")
        numbered.append_text(line)
        numbered.append("\n")
    numbered.rstrip()
    return numbered


def app_error(error: dict) -> Group:
    items: list = [Text.from_markup(f"  [bold red]Your app does not load.[/] {escape(error['message'])}")]
    if error.get("code"):
        items.append(Indented(numbered_code(error), 4))
    items.append(Text(f"    Fix {error['file']} line {error.get('line')}, save, and check again.\n"))
    return Group(*items)


def print_result(result: RunResult, number: str, console: Console | None = None) -> None:
    (console or Console()).print(render(result, number))


def plain_text(result: RunResult, number: str) -> str:
    """The report without colors, every line whole (a notebook's text/plain view)."""
    buffer = io.StringIO()
    # force_jupyter=False: inside a kernel Rich would otherwise display the text itself
    Console(file=buffer, soft_wrap=True, highlight=False, color_system=None, force_jupyter=False).print(
        render(result, number))
    return buffer.getvalue()


# The notebook's HTML view: inline styles, because an output cell has no stylesheet of ours.
# JupyterLab's theme variables keep it readable in light and dark themes.
STYLE = {
    "report": "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px);"
              " line-height: 1.45; white-space: normal;",
    "line": "margin: 0.1em 0; overflow-wrap: anywhere;",
    "text": "margin: 0.2em 0 0.4em 1.6em; white-space: pre-wrap; overflow-wrap: anywhere;",
    "code": "margin: 0.2em 0 0.4em 1.6em; padding: 0.3em 0.6em; white-space: pre-wrap;"
            " overflow-wrap: anywhere; background: var(--jp-layout-color2, #f3f3f3);",
}
HTML_MARKS = {
    "passed": ("✓", "#1a7f37"),
    "failed": ("✗", "#cf222e"),
    "timeout": ("⏱", "#cf222e"),
    "error": ("✗", "#cf222e"),
    "missing": ("?", "#8250df"),
    "skipped": ("-", "#6e7781"),
    "unavailable": ("!", "#9a6700"),
}


def _html_mark(outcome: str) -> str:
    symbol, color = HTML_MARKS.get(outcome, ("?", "#6e7781"))
    return f'<span style="color: {color}; font-weight: bold;">{symbol}</span>'


def _html_markdown_code(text: str) -> str:
    """Escape text, then show its `backticked` commands as code."""
    pieces = html_escape(text).split("`")
    return "".join(f"<code>{piece}</code>" if index % 2 else piece for index, piece in enumerate(pieces))


def html(result: RunResult, number: str) -> str:
    """The report as HTML for a notebook: wraps to the cell, failures open with their details.

    Everything taken from the result is escaped: messages quote the learner's code and
    what their app answered.
    """
    out = [f'<div class="shiplings-report" style="{STYLE["report"]}">',
           f'<div style="{STYLE["line"]}"><b>Lesson {html_escape(result.lesson)}</b>: '
           f'{html_escape(result.title)}</div>']
    if result.problem:
        out.append(f'<div style="{STYLE["text"]} color: #cf222e;">'
                   f'{html_escape(spelling.respell(result.problem))}</div>')
    if result.app_error:
        error = result.app_error
        out.append(f'<div style="{STYLE["line"]}"><b style="color: #cf222e;">Your app does not load.</b> '
                   f'{html_escape(error["message"])}</div>')
        if error.get("code"):
            start = error.get("line") or 1
            lines = error["code"].strip("\n").splitlines()
            numbered = "\n".join(f"{start + offset:>4}  {line}" for offset, line in enumerate(lines))
            out.append(f'<pre style="{STYLE["code"]}">{html_escape(numbered)}</pre>')
        out.append(f'<div style="{STYLE["text"]}">Fix {html_escape(error["file"])} line '
                   f'{html_escape(str(error.get("line")))}, save, and check again.</div>')
    for check, message in zip(result.checks, messages(result), strict=True):
        line = f"{_html_mark(check.outcome)} {html_escape(check.name)}"
        if check.retired:
            line += ' <span style="opacity: 0.6;">(retired by a later lesson)</span>'
        if message is None:
            line += f' <span style="opacity: 0.6;">{SAID_ABOVE}</span>'
        if message:
            out.append(f'<details open style="{STYLE["line"]}"><summary style="cursor: pointer;">{line}</summary>'
                       f'<div style="{STYLE["text"]}">{html_escape(spelling.respell(message))}</div>'
                       "</details>")
        else:
            out.append(f'<div style="{STYLE["line"]}">{line}</div>')
    count, advice = summary(result, number)
    color = "color: #1a7f37;" if result.passed else ""
    out.append(f'<div style="margin-top: 0.6em;"><b style="{color}">{html_escape(count)}</b> '
               f"{_html_markdown_code(advice)}</div>")
    out.append("</div>")
    return "\n".join(out)


class NotebookReport:
    """What %check displays: HTML in a notebook, plain text in a terminal IPython."""

    def __init__(self, result: RunResult, number: str) -> None:
        self.result = result
        self.number = number

    def _repr_html_(self) -> str:
        return html(self.result, self.number)

    def __repr__(self) -> str:
        return plain_text(self.result, self.number)
