"""The notebooks' helpers that are not proven by running the lessons' notebooks: the plots.

(`shiplings dev check` executes every notebook, which exercises the other helpers against
real workspaces; a plot that draws the wrong thing would not fail a notebook.)
"""

from __future__ import annotations

import matplotlib
import pytest

from shiplings import notebook

matplotlib.use("Agg")


@pytest.fixture
def shown(monkeypatch):
    """The figures the helpers show, instead of showing them."""
    import matplotlib.pyplot as plt

    figures = []
    monkeypatch.setattr(plt, "show", lambda: figures.append(plt.gcf()))
    yield figures
    plt.close("all")


def bar_widths(axis) -> list[float]:
    return [patch.get_width() for patch in axis.patches]


def test_measurements_get_a_panel_per_quantity_and_a_bar_per_row(shown):
    rows = {"dev": {"requests/s": 3500.0, "CPU cores": 1.0}, "2 workers": {"requests/s": 6600.0, "CPU cores": 1.9}}
    notebook.plot_measurements(rows, title="under load", baseline="dev")
    (figure,) = shown
    rate_panel, cpu_panel = figure.axes
    assert rate_panel.get_title(loc="left") == "requests/s" and cpu_panel.get_title(loc="left") == "CPU cores"
    assert bar_widths(rate_panel) == [3500.0, 6600.0] and bar_widths(cpu_panel) == [1.0, 1.9]
    names = [label.get_text() for label in rate_panel.get_yticklabels()]
    labels = dict(zip(rate_panel.get_yticks(), names, strict=True))
    assert labels[max(labels)] == "dev", "the first row is drawn on top"
    assert {text.get_text() for text in rate_panel.texts} == {"3,500", "6,600"}
    assert [line.get_xdata()[0] for line in rate_panel.lines] == [3500.0], "the baseline, dashed"


def test_answer_times_draw_one_bar_per_request_in_answer_order(shown):
    notebook.plot_answer_times({"in turn": [0.6, 0.2, 0.4], "at once": [0.21, 0.2, 0.22]}, title="3 at once")
    (figure,) = shown
    in_turn, at_once = figure.axes
    assert bar_widths(in_turn) == [0.2, 0.4, 0.6], "a staircase, shortest first"
    assert len(at_once.patches) == 3
    assert in_turn.get_xlim() == at_once.get_xlim(), "one time scale for every panel"
