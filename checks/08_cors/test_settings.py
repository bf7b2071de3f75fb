"""Lesson 08: the allowed origins are configuration, and "*" is refused at start-up.

The API allows credentials, and with credentials a wildcard cannot mean "everyone"
(browsers refuse it); Starlette then echoes whatever origin asks, which does mean
everyone. So the settings refuse "*" before the app ever starts.
"""

import pydantic

from shiplings.testing import import_fresh, load_app

WHERE = "the cors_origins validator of Settings in app/core/config.py"


def test_wildcard_refused(app_env, monkeypatch):
    monkeypatch.delenv("TASKS_CORS_ORIGINS", raising=False)
    config = import_fresh("app.core.config")
    for origins in (["*"], ["http://localhost:5173", "*"]):
        try:
            settings = config.Settings(cors_origins=origins)
        except pydantic.ValidationError:
            continue
        kept = getattr(settings, "cors_origins", None)
        raise AssertionError(
            f"Settings(cors_origins={origins!r}) should fail with a validation error: the API "
            "allows credentials, and Starlette answers a \"*\" with credentials by echoing any "
            f"origin that asks, so every website could call the API as your users. Settings "
            f"accepted it (cors_origins is {kept!r}). Look at {WHERE}."
        )
    monkeypatch.setenv("TASKS_CORS_ORIGINS", '["*"]')
    try:
        load_app()
    except pydantic.ValidationError:
        return
    raise AssertionError(
        "With TASKS_CORS_ORIGINS='[\"*\"]' in the environment, the app should refuse to start "
        "(a validation error when app.main builds its settings), instead of serving every origin; "
        f"it started. Settings() reads TASKS_CORS_ORIGINS into cors_origins: refuse \"*\" in {WHERE}."
    )
