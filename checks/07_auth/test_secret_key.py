"""Lesson 07: production refuses to start with a default or weak TASKS_SECRET_KEY."""

import secrets

from shiplings.testing import import_fresh
from support.apps import app_modules

WEAK_KEYS = {
    "changethis": "a well-known placeholder",
    "secret": "a dictionary word",
    secrets.token_hex(8): "16 random characters (too short for HS256: at least 32)",
    "a" * 64: "64 times the same letter",
}


def refused(build) -> bool:
    try:
        build()
    except ValueError:  # pydantic's ValidationError is a ValueError
        return True
    return False


async def test_weak_secret_refused_in_production(app_env, monkeypatch):
    main, config = app_modules()

    def production(**fields):
        return lambda: main.create_app(config.Settings(_env_file=None, environment="production", **fields))

    monkeypatch.delenv("TASKS_SECRET_KEY")
    assert refused(production()), (
        "With TASKS_ENVIRONMENT=production and no TASKS_SECRET_KEY, the app should refuse to "
        "start (Settings() or create_app() raises); it started. A key invented at start-up "
        "would differ per worker and per restart, and sign everybody out. Look at the "
        "secret_key validation in app/core/config.py."
    )
    for key, why in WEAK_KEYS.items():
        assert refused(production(secret_key=key)), (
            f"With TASKS_ENVIRONMENT=production and TASKS_SECRET_KEY={key!r} ({why}), the app "
            "should refuse to start; it started. Whoever guesses the key can sign tokens for "
            "any user. Refuse placeholders, keys shorter than 32 characters and keys with "
            "few distinct characters in app/core/config.py."
        )
    strong = secrets.token_urlsafe(32)
    assert not refused(production(secret_key=strong)), (
        "With TASKS_ENVIRONMENT=production and a strong TASKS_SECRET_KEY "
        "(secrets.token_urlsafe(32)), the app should start; it refused. Refuse only weak keys."
    )
    assert not refused(lambda: main.create_app(config.Settings(_env_file=None, environment="development"))), (
        "In development, the app should start without TASKS_SECRET_KEY (with a random "
        "per-process key and a warning); it refused."
    )

    monkeypatch.setenv("TASKS_ENVIRONMENT", "production")
    monkeypatch.setenv("TASKS_SECRET_KEY", "changethis")
    try:
        import_fresh("app.main")
    except ValueError:
        pass
    else:
        raise AssertionError(
            "`uvicorn app.main:app` with TASKS_ENVIRONMENT=production and "
            "TASKS_SECRET_KEY=changethis should fail at start-up; importing app.main worked. "
            "The module-level `app = create_app()` builds Settings from the environment: the "
            "check belongs in Settings (a validator in app/core/config.py)."
        )
