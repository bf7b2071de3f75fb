"""Lesson 09: login attempts are limited per client, and past the limit the answer is a 429.

A password guesser sends POST /auth/token as fast as the server answers. The login limit
(TASKS_LOGIN_RATE_LIMIT) stops it after a few attempts, tells honest clients when to try
again (Retry-After), and counts per client address: the one the server saw, not one the
client wrote into a header.
"""

from shiplings.testing import show

EMAIL = "rate-limit@example.com"  # the address attempt() signs in with
PASSWORD = "correct horse battery staple"
LIMIT = 3
WRONG = (400, 401)  # how the app refuses a wrong password (lesson 07: 400, as OAuth2 says)
GENEROUS = "1000/minute"  # the default limit, far from anything this check sends


async def test_login_is_rate_limited(build_app, serve, attempt, refusal):
    app = build_app(login_rate_limit=f"{LIMIT}/minute", rate_limit_default=GENEROUS)
    async with serve(app) as connect:
        http = await connect()
        await http.post("/auth/register", json={"email": EMAIL, "password": PASSWORD})
        answers = [await attempt(http, f"guess-{number}") for number in range(1, LIMIT + 1)]
        refused_early = [number for number, answer in enumerate(answers, 1) if answer.status_code not in WRONG]
        assert not refused_early, (
            f"With TASKS_LOGIN_RATE_LIMIT={LIMIT}/minute, each of the first {LIMIT} login attempts "
            f"(wrong passwords) should be refused as wrong (400); attempt {refused_early[0]} answered "
            f"{show(answers[refused_early[0] - 1])}. Does the login limit read settings.login_rate_limit?"
        )
        over = await attempt(http, f"guess-{LIMIT + 1}")
        assert over.status_code == 429, (
            f"With TASKS_LOGIN_RATE_LIMIT={LIMIT}/minute, login attempt {LIMIT + 1} from the same "
            f"client should answer 429 Too Many Requests; your app answered {show(over)}: a "
            "password guesser can go on guessing as fast as your server answers. Look at "
            "RateLimit.__call__() in app/core/ratelimit.py, and at the dependencies of POST /auth/token "
            "in app/api/routes/auth.py: does the login limit guard it? (The check builds "
            f'its app with create_app(Settings(login_rate_limit="{LIMIT}/minute")): the limit must '
            "come from request.app.state.settings, not get_settings().)"
        )
        problem = refusal(over)
        assert not problem, (
            'A 429 should answer in the error envelope with the code "too_many_requests", like every '
            "other error, and say in a Retry-After header how many seconds to wait; your app answered "
            f"{show(over)} with the headers {dict(over.headers)}: {problem}. Look at the 429 that "
            "RateLimit.__call__() (app/core/ratelimit.py) raises: the handler of lesson 03 renders it, "
            "and the limiter's retry_after() says when the window lets the next attempt through."
        )
        right = await attempt(http, PASSWORD)
    assert right.status_code == 429, (
        f"Past the limit, even the right password should answer 429; your app answered {show(right)}. "
        "If only wrong passwords are refused, the guesser still learns which guess is right (the one "
        "that does not answer 429), and the limit protects nothing. Check the limit before the "
        "password: as a dependency of the route, not inside it after verify_password()."
    )


async def test_limit_counts_per_client_address(build_app, serve, attempt):
    app = build_app(login_rate_limit=f"{LIMIT}/minute", rate_limit_default=GENEROUS)
    async with serve(app) as connect:
        mallory = await connect("203.0.113.66")
        for number in range(1, LIMIT + 2):
            answer = await attempt(mallory, f"guess-{number}")
        assert answer.status_code == 429, (
            f"Login attempt {LIMIT + 1} from one client should answer 429 once the login limit is "
            f"{LIMIT}/minute; your app answered {show(answer)}. The login limit is not in place yet: "
            'make the check "The limit+1th sign-in attempt from one client answers 429 ..." pass first.'
        )
        forged = {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.7", "Forwarded": "for=198.51.100.7"}
        spoofed = await attempt(mallory, "guess-spoofed", **forged)
        assert spoofed.status_code == 429, (
            "The same client, past its limit, sent one more attempt with an X-Forwarded-For header "
            f"naming another address, and your app answered {show(spoofed)} instead of 429. Any "
            "client can write that header: with a new made-up address on every attempt, the limit "
            "never triggers. Look at client_address() in app/core/ratelimit.py: the address it counts "
            "should be the connection's own, read from no header. Behind a proxy, uvicorn's --proxy-headers "
            "--forwarded-allow-ips=<the proxy's address> sets request.client from the header, and "
            "only for connections from the proxy."
        )
        alice = await connect("192.0.2.10")
        honest = await attempt(alice, "her first try")
    assert honest.status_code in WRONG, (
        "Another client (another address) made its first login attempt after one client had used up "
        f"its limit, and your app answered {show(honest)} instead of refusing the wrong password (400). "
        "The count should be per "
        "client address, or one attacker locks every user out: look at what client_address() in "
        "app/core/ratelimit.py returns."
    )
