"""Lesson 02: configuration comes from the environment (TASKS_*), validated at start-up."""

import pydantic

from shiplings.testing import import_fresh


def test_settings_read_from_environment(monkeypatch):
    monkeypatch.setenv("TASKS_APP_NAME", "Board from the environment")
    monkeypatch.setenv("TASKS_ENVIRONMENT", "test")
    config = import_fresh("app.core.config")
    settings = config.Settings()
    assert settings.app_name == "Board from the environment", (
        "With TASKS_APP_NAME='Board from the environment' in the environment, "
        f"Settings().app_name should be that text; it is {settings.app_name!r}. "
        'Give Settings in app/core/config.py a model_config with env_prefix="TASKS_".'
    )
    assert settings.environment == "test", (
        "With TASKS_ENVIRONMENT=test in the environment, Settings().environment should be "
        f"'test'; it is {settings.environment!r}. Look at the environment field of Settings "
        "in app/core/config.py."
    )


def test_settings_refuse_unknown_environment(monkeypatch):
    monkeypatch.setenv("TASKS_ENVIRONMENT", "prodution")
    config = import_fresh("app.core.config")
    try:
        settings = config.Settings()
    except pydantic.ValidationError:
        return
    if settings.environment == "prodution":
        why = (
            "Settings read it and kept it as is: give the environment field the type "
            'Literal["development", "test", "production"] in app/core/config.py.'
        )
    else:
        why = (
            f"Settings did not even read it (environment is {settings.environment!r}): "
            'set env_prefix="TASKS_" in the model_config of Settings in app/core/config.py.'
        )
    raise AssertionError(
        "TASKS_ENVIRONMENT=prodution (a typo) should stop the app at start-up with a "
        f"validation error, but Settings() accepted it. {why}"
    )
