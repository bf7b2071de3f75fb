"""Helpers for the lesson 03 checks: read an error envelope, mount a route on the app."""

import pytest

from support.envelope import read_envelope


@pytest.fixture
def envelope():
    """envelope(response) -> (error dict or None, what is wrong with the shape)."""
    return read_envelope


@pytest.fixture
def mount(app):
    """mount(path, endpoint): add a route to the learner's app for one check."""

    def add(path: str, endpoint) -> str:
        app.add_api_route(path, endpoint, methods=["GET"])
        return path

    return add
