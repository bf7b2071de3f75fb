"""Lesson 02: configuration comes from the environment (TASKS_*), validated at start-up."""

import pydantic

from shiplings.testing import import_fresh


def test_settings_read_from_environment(monkeypatch, tmp_path):
    # a .env file is looked up in the working directory: an empty one of our own to start
    monkeypatch.chdir(tmp_path)
    # imported first, configured after: Settings() must read the variables when it is built
    config = import_fresh("app.core.config")
    monkeypatch.setenv("TASKS_APP_NAME", "Board from the environment")
    monkeypatch.setenv("TASKS_ENVIRONMENT", "test")
    settings = config.Settings()
    if settings.app_name != "Board from the environment":
        imported_again = import_fresh("app.core.config").Settings()
        assert imported_again.app_name != "Board from the environment", (
            "Settings() should read TASKS_APP_NAME from the environment when Settings() is built; "
            "yours read it only once, when app/core/config.py was imported (a later change of the "
            f"variable gave {settings.app_name!r}). Tests and servers set the environment after "
            "importing. Look at Settings in app/core/config.py: pydantic-settings should read the "
            "fields, not os.environ at import time."
        )
    assert settings.app_name == "Board from the environment", (
        "With TASKS_APP_NAME='Board from the environment' in the environment, "
        f"Settings().app_name should be that text; it is {settings.app_name!r}. "
        "Look at the model_config of Settings in app/core/config.py: which variables does it read?"
    )
    assert settings.environment == "test", (
        "With TASKS_ENVIRONMENT=test in the environment, Settings().environment should be "
        f"'test'; it is {settings.environment!r}. Look at the environment field of Settings "
        "in app/core/config.py."
    )
    monkeypatch.delenv("TASKS_APP_NAME")
    (tmp_path / ".env").write_text("TASKS_APP_NAME=Board from the .env file\nTASKS_ENVIRONMENT=development\n")
    from_file = config.Settings()
    assert from_file.app_name == "Board from the .env file", (
        "With TASKS_APP_NAME='Board from the .env file' in a .env file in the working directory "
        f"(and not in the environment), Settings().app_name should be that text; it is {from_file.app_name!r}. "
        "Settings in app/core/config.py does not read the .env file: look at its model_config."
    )
    assert from_file.environment == "test", (
        "A real environment variable should win over the .env file: with TASKS_ENVIRONMENT=test "
        "in the environment and TASKS_ENVIRONMENT=development in .env, Settings().environment "
        f"should be 'test'; it is {from_file.environment!r}. Look at Settings in app/core/config.py."
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
            "Settings read it and kept it as is: look at the type of the environment field in "
            "app/core/config.py, which accepts any text."
        )
    else:
        why = (
            f"Settings did not even read it (environment is {settings.environment!r}): look at "
            "the model_config of Settings in app/core/config.py."
        )
    raise AssertionError(
        "TASKS_ENVIRONMENT=prodution (a typo) should stop the app at start-up with a "
        f"validation error, but Settings() accepted it. {why}"
    )
