"""A pytest plugin for the checks' runs of the learner's suite: the check's Chromium, not a new one.

pytest-playwright launches a Chromium per run, about a second of CPU; the check runs the
suite seven times and keeps one Chromium for all of them (and, in watch mode, for every
check run). With E2E_CDP_URL set, `browser` connects to that Chromium over the DevTools
protocol instead of launching one. Each test still gets a context of its own (its own
cookies and storage), and closing the connection at the end closes those contexts, never
the Chromium.
"""

import os

import pytest


@pytest.fixture(scope="session")
def launch_browser(launch_browser, browser_type):
    endpoint = os.environ.get("E2E_CDP_URL")
    if not endpoint:
        return launch_browser
    return lambda **options: browser_type.connect_over_cdp(endpoint)
