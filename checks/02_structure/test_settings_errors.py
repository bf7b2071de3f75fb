"""Lesson 02: a refused setting names the setting and the problem, never the value it refused."""

import pydantic

from shiplings.testing import import_fresh

# a refused value that looks like what settings often hold: a URL with a password in it
REFUSED = "postgres://app:hunter2@db/tasks"  # short: pydantic shortens long values in the middle


def test_settings_errors_hide_values(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env file of the workspace decides the outcome
    monkeypatch.setenv("TASKS_ENVIRONMENT", REFUSED)
    config = import_fresh("app.core.config")
    try:
        config.Settings()
    except pydantic.ValidationError as error:
        message = str(error)
    else:
        raise AssertionError(
            f"TASKS_ENVIRONMENT={REFUSED!r} is not an environment, so Settings() should refuse it "
            "with a validation error; it accepted it. Make the check \"A typo in TASKS_ENVIRONMENT "
            'stops the app at start-up" pass first.'
        )
    assert "environment" in message, (
        "A refused setting should say which setting it is: the validation error for a wrong "
        f"TASKS_ENVIRONMENT does not name the environment field. It said:\n{message}"
    )
    assert "hunter2" not in message, (
        f"Settings() refused TASKS_ENVIRONMENT={REFUSED!r}, and its error message repeats the "
        "value, password and all. That message is printed when the app stops at start-up and "
        "ends up in the logs of whatever runs it; a database or Redis URL, or the signing key, "
        "would be leaked the same way. Look at the model_config of Settings in "
        "app/core/config.py: pydantic can leave the input out of its errors."
    )
