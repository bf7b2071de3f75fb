"""Lesson 09: every API route has a limit (TASKS_RATE_LIMIT_DEFAULT), not only the login."""

from shiplings.testing import show
from support.accounts import sign_up_and_in

DEFAULT = 5
# one route of each router that serves clients; the year is out of range, so the holidays
# route answers 422 without calling the holidays service (the limit is checked first)
OTHER_ROUTES = {
    "GET /users/me": "/users/me",
    "GET /holidays/1800?country=DE": "/holidays/1800?country=DE",
}


async def test_default_limit_applies_to_other_routes(build_app, serve, refusal):
    app = build_app(rate_limit_default=f"{DEFAULT}/minute", login_rate_limit="1000/minute")
    async with serve(app) as connect:
        http = await connect()
        token = await sign_up_and_in(http)
        http.headers["Authorization"] = f"Bearer {token}"
        answers = [await http.get("/tasks") for _ in range(DEFAULT + 1)]
        others = {}
        for number, (what, path) in enumerate(OTHER_ROUTES.items(), 2):
            other = await connect(f"192.0.2.{number}")  # a fresh client: its own count
            other.headers["Authorization"] = f"Bearer {token}"
            others[what] = [await other.get(path) for _ in range(DEFAULT + 1)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 200, (
        f"With TASKS_RATE_LIMIT_DEFAULT={DEFAULT}/minute, a client's first GET /tasks after signing "
        f"in should answer 200; your app answered {show(answers[0])}."
    )
    assert statuses[-1] == 429, (
        f"With TASKS_RATE_LIMIT_DEFAULT={DEFAULT}/minute, a client that signs in and then sends "
        f"GET /tasks {DEFAULT + 1} times has made more than {DEFAULT} requests, and the last should "
        f"answer 429; your app answered {statuses}. Look at where create_app() (app/main.py) includes "
        "the routers: every router that serves clients should get the default limit there. (The check "
        f'builds its app with create_app(Settings(rate_limit_default="{DEFAULT}/minute")): the limit '
        "must come from request.app.state.settings.)"
    )
    problem = refusal(answers[-1])
    assert not problem, (
        "A 429 from the default limit should answer like the login's: in the error envelope "
        f'(code "too_many_requests") with a Retry-After header; your app answered {show(answers[-1])}: '
        f"{problem}. Both limits raise the same HTTPException in RateLimit.__call__() (app/core/ratelimit.py)."
    )
    for what, replies in others.items():
        statuses = [reply.status_code for reply in replies]
        assert statuses[-1] == 429, (
            f"With TASKS_RATE_LIMIT_DEFAULT={DEFAULT}/minute, a client that sends {what} "
            f"{DEFAULT + 1} times should get 429 for the last one; your app answered {statuses}. "
            "GET /tasks is limited, but not every router: a scraper simply moves to the routes "
            "without a limit. Look at how create_app() (app/main.py) includes each router that "
            "serves clients (auth, tasks, holidays)."
        )
