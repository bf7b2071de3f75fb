"""Lesson 09: every API route has a limit (TASKS_RATE_LIMIT_DEFAULT), not only the login."""

from shiplings.testing import show
from support.accounts import sign_up_and_in

DEFAULT = 5


async def test_default_limit_applies_to_other_routes(build_app, serve, refusal):
    app = build_app(rate_limit_default=f"{DEFAULT}/minute", login_rate_limit="1000/minute")
    async with serve(app) as connect:
        http = await connect()
        http.headers["Authorization"] = f"Bearer {await sign_up_and_in(http)}"
        answers = [await http.get("/tasks") for _ in range(DEFAULT + 1)]
    statuses = [answer.status_code for answer in answers]
    assert statuses[0] == 200, (
        f"With TASKS_RATE_LIMIT_DEFAULT={DEFAULT}/minute, a client's first GET /tasks after signing "
        f"in should answer 200; your app answered {show(answers[0])}."
    )
    assert statuses[-1] == 429, (
        f"With TASKS_RATE_LIMIT_DEFAULT={DEFAULT}/minute, a client that signs in and then sends "
        f"GET /tasks {DEFAULT + 1} times has made more than {DEFAULT} requests, and the last should "
        f"answer 429; your app answered {statuses}. Every router that serves clients should get the "
        "default limit where create_app() includes it (app/main.py): "
        "include_router(tasks.router, dependencies=[Depends(default_limit)]). (The check builds its app "
        f'with create_app(Settings(rate_limit_default="{DEFAULT}/minute")): the limit must come from '
        "request.app.state.settings.)"
    )
    problem = refusal(answers[-1])
    assert not problem, (
        "A 429 from the default limit should answer like the login's: in the error envelope "
        f'(code "too_many_requests") with a Retry-After header; your app answered {show(answers[-1])}: '
        f"{problem}. Both limits raise the same HTTPException in RateLimit.__call__() (app/core/ratelimit.py)."
    )
