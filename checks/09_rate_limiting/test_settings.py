"""Lesson 09: the limits and their storage are settings, and each app keeps its own counts."""

import importlib

import pydantic

from shiplings.testing import show

FIELDS = {
    "rate_limit_storage_uri": "memory://",
    "rate_limit_default": "120/minute",
    "login_rate_limit": "5/minute",
}


async def test_limits_come_from_settings(build_app, serve, attempt, monkeypatch):
    config = importlib.import_module("app.core.config")
    for field in FIELDS:
        monkeypatch.delenv(f"TASKS_{field.upper()}", raising=False)
    missing = [field for field in FIELDS if field not in config.Settings.model_fields]
    assert not missing, (
        f"Settings in app/core/config.py should have the fields {', '.join(FIELDS)} (read from "
        f"TASKS_RATE_LIMIT_STORAGE_URI, TASKS_RATE_LIMIT_DEFAULT and TASKS_LOGIN_RATE_LIMIT); "
        f"it lacks {', '.join(missing)}."
    )
    defaults = config.Settings(_env_file=None)
    wrong = {field: getattr(defaults, field) for field, value in FIELDS.items() if getattr(defaults, field) != value}
    assert not wrong, (
        f"The defaults should be {FIELDS} (one process on a laptop, a generous limit for the API, "
        f"a strict one for logins); your Settings has {wrong}."
    )
    monkeypatch.setenv("TASKS_LOGIN_RATE_LIMIT", "7/hour")
    assert config.Settings(_env_file=None).login_rate_limit == "7/hour", (
        "TASKS_LOGIN_RATE_LIMIT=7/hour in the environment should give Settings().login_rate_limit == "
        f"'7/hour'; it gave {config.Settings(_env_file=None).login_rate_limit!r}."
    )
    for field in ("login_rate_limit", "rate_limit_default"):
        try:
            config.Settings(_env_file=None, **{field: "5 per minuet"})
        except pydantic.ValidationError:
            continue
        raise AssertionError(
            f'TASKS_{field.upper()}="5 per minuet" (a typo) should stop the app at start-up with a '
            "validation error, not run it with a limit nobody can read; Settings accepted it. Look at "
            "how Settings in app/core/config.py validates login_rate_limit and rate_limit_default: "
            "a value the limits library cannot parse should be refused."
        )

    strict = build_app(login_rate_limit="2/minute", rate_limit_default="1000/minute")
    async with serve(strict) as connect:
        http = await connect()
        strict_answers = [(await attempt(http, f"guess-{number}")).status_code for number in range(3)]
    lenient = build_app(login_rate_limit="4/minute", rate_limit_default="1000/minute")
    async with serve(lenient) as connect:
        http = await connect()
        lenient_answers = [await attempt(http, f"guess-{number}") for number in range(3)]
    assert strict_answers[:2] in ([400, 400], [401, 401]) and strict_answers[2] == 429, (
        'An app from create_app(Settings(login_rate_limit="2/minute")) should refuse two wrong '
        f"passwords (400) and answer 429 to the third attempt; it answered {strict_answers}. The limits "
        "should come from the settings create_app() receives (request.app.state.settings), not from "
        "the environment at import time."
    )
    # a third app with the very same limit as the first: a limiter shared between apps (one
    # built at import) would find the first app's attempts already counted under that limit
    twin = build_app(login_rate_limit="2/minute", rate_limit_default="1000/minute")
    async with serve(twin) as connect:
        http = await connect()
        twin_first = await attempt(http, "guess-0")
    assert twin_first.status_code in (400, 401), (
        'A new app from create_app(Settings(login_rate_limit="2/minute")), built after another app '
        "with the same limit had used it up from the same address, should refuse its own first wrong "
        f"password (400), not answer 429; it answered {show(twin_first)}: it counted in the other "
        "app's limiter. A Limiter built when app/core/ratelimit.py is imported is shared by every "
        "app of the process: look at where create_app() in app/main.py gets its limiter. Every app "
        "needs a limiter of its own (app.state.limiter), built from its settings."
    )
    assert all(answer.status_code in (400, 401) for answer in lenient_answers), (
        'A second app in the same process, from create_app(Settings(login_rate_limit="4/minute")), '
        "should refuse its first three wrong passwords (400), not answer 429; it answered "
        f"{[show(answer) for answer in lenient_answers]}. Either it took the first app's limit, or it "
        "counted in the first app's storage: look at where create_app() in app/main.py gets its limiter. "
        "Every app needs a limiter of its own (app.state.limiter), not one module-level Limiter."
    )
