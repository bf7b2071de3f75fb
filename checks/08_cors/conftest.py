"""Lesson 08 checks run the learner's app with its default origins.

TASKS_CORS_ORIGINS set on the learner's machine (or in a shell they forgot about) would
otherwise change what the checks see; the checks that need other origins set them.
"""

import pytest

from shiplings.testing import load_app


@pytest.fixture
def app(app_env, monkeypatch):
    monkeypatch.delenv("TASKS_CORS_ORIGINS", raising=False)
    return load_app()
