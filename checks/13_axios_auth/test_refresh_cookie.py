"""Lesson 13: sign-in sets a refresh cookie no script can read; refresh rotates it; sign-out clears it.

In-process, against the learner's app, like Part I's checks: the cookie is read from the
Set-Cookie header as the browser would, and sent back by hand, so nothing is implied.
"""

import secrets
from http.cookies import SimpleCookie

from shiplings.testing import running_client, show
from support.accounts import LEARNER_PASSWORD, REGISTER, TOKEN
from support.envelope import envelope_problem

REFRESH, LOGOUT = "/auth/refresh", "/auth/logout"
LOOK = "Look at app/api/routes/auth.py."


def set_cookies(response) -> dict:
    """The cookies a response sets: {name: Morsel} (the attributes in lower case: morsel["path"])."""
    cookies = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        cookies.load(header)
    return dict(cookies)


async def sign_in(http, email: str | None = None):
    """(the sign-in's response, the refresh cookie it set as a Morsel or None)."""
    email = email or f"cookie-{secrets.token_hex(4)}@example.com"
    await http.post(REGISTER, json={"email": email, "password": LEARNER_PASSWORD})
    http.cookies.clear()
    answer = await http.post(TOKEN, data={"username": email, "password": LEARNER_PASSWORD})
    assert answer.status_code == 200, (
        f"Signing in through POST {TOKEN} should answer 200 with a token; your app answered {show(answer)}. {LOOK}"
    )
    cookies = set_cookies(answer)
    return answer, next(iter(cookies.values()), None)


async def with_cookie(http, path: str, cookie):
    """POST path sending exactly this cookie (and nothing from the client's jar)."""
    http.cookies.clear()
    return await http.post(path, headers={"Cookie": f"{cookie.key}={cookie.value}"})


def require_cookie(cookie) -> None:
    assert cookie is not None, (
        f"Signing in (POST {TOKEN}) should also set the refresh cookie (Set-Cookie: refresh_token=...; "
        "HttpOnly; SameSite=Strict; Path=/auth), which keeps the session through a reload; your app's "
        f"answer set no cookie. {LOOK}"
    )


async def test_sign_in_sets_refresh_cookie(anonymous_client, build_app):
    _, cookie = await sign_in(anonymous_client)
    require_cookie(cookie)
    said = f"Your app set: {cookie.OutputString()[:200]}"
    assert cookie["httponly"], (
        f"The refresh cookie should be HttpOnly: then document.cookie never shows it and a script injected into "
        f"the page (XSS) cannot read it. {said}. Pass httponly=True to response.set_cookie(). {LOOK}"
    )
    assert str(cookie["samesite"]).lower() == "strict", (
        "The refresh cookie should be SameSite=Strict: the browser then never sends it with a request another "
        f"site starts, so no other page can refresh (or end) the session. {said}. Pass samesite=\"strict\" "
        f"to response.set_cookie(). {LOOK}"
    )
    path = cookie["path"] or "/"
    assert path.startswith("/auth"), (
        "The refresh cookie should travel to the auth routes only (Path=/auth), not with every request the "
        f"page sends: a cookie with Path={path} goes to every route of the API. {said}. Pass path=\"/auth\" "
        f"to response.set_cookie(). {LOOK}"
    )
    assert not cookie["secure"], (
        "Outside production the refresh cookie should not be Secure: development runs on http://, where the "
        f"browser drops Secure cookies, and a reload would sign the learner out. {said}. Make secure depend on "
        f"settings.environment == \"production\". {LOOK}"
    )
    production = build_app(environment="production")
    async with running_client(production) as http:
        _, cookie = await sign_in(http)
    require_cookie(cookie)
    assert cookie["secure"], (
        "In production (TASKS_ENVIRONMENT=production) the refresh cookie should be Secure: sent over HTTPS only, "
        f"never in clear text. Your app set: {cookie.OutputString()[:200]}. Make secure depend on "
        f"settings.environment == \"production\". {LOOK}"
    )


async def test_refresh_rotates_the_cookie(anonymous_client):
    http = anonymous_client
    _, first = await sign_in(http)
    require_cookie(first)
    refreshed = await with_cookie(http, REFRESH, first)
    assert refreshed.status_code == 200 and "access_token" in refreshed.text, (
        f"POST {REFRESH} with the refresh cookie from sign-in should answer 200 with a new access token "
        f'({{"access_token": ..., "token_type": "bearer"}}); your app answered {show(refreshed)}. {LOOK}'
    )
    me = await http.get("/users/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"})
    assert me.status_code == 200, (
        f"The access token POST {REFRESH} answered should work like one from sign-in; GET /users/me with it "
        f"answered {show(me)}. {LOOK}"
    )
    second = set_cookies(refreshed).get(first.key)
    assert second is not None and second.value and second.value != first.value, (
        f"POST {REFRESH} should rotate the refresh token: spend the one it got and set a new one in the same "
        f"cookie ({first.key}), so a stolen copy works once at most. Your app's answer "
        + ("set no new cookie." if second is None else "set the same token again.") + f" {LOOK}"
    )
    reused = await with_cookie(http, REFRESH, first)
    problem = envelope_problem(reused)
    assert reused.status_code == 401 and problem is None, (
        f"After a refresh, the old refresh token should be refused: POST {REFRESH} with it again should answer "
        f"401 in the error envelope (no rotation means a stolen token works for {first['max-age'] or 'many'} "
        f"seconds). Your app answered {show(reused)}"
        + (f" ({problem})" if reused.status_code == 401 else "")
        + f". Mark the token used when it is spent, and refuse used tokens. {LOOK}"
    )
    http.cookies.clear()
    missing = await http.post(REFRESH)
    assert missing.status_code == 401 and envelope_problem(missing) is None, (
        f"POST {REFRESH} without any cookie should answer 401 in the error envelope; your app answered "
        f"{show(missing)}. {LOOK}"
    )


async def test_sign_out_clears_the_cookie(anonymous_client):
    http = anonymous_client
    _, cookie = await sign_in(http)
    require_cookie(cookie)
    signed_out = await with_cookie(http, LOGOUT, cookie)
    assert signed_out.status_code in (200, 204), (
        f"POST {LOGOUT} with the refresh cookie should sign out (204 No Content); your app answered "
        f"{show(signed_out)}. {LOOK}"
    )
    cleared = set_cookies(signed_out).get(cookie.key)
    assert cleared is not None and (cleared["max-age"] == "0" or not cleared.value), (
        f"POST {LOGOUT} should tell the browser to forget the refresh cookie: Set-Cookie with the same name, "
        f"empty and expired (Max-Age=0), as response.delete_cookie() writes it; your app's answer "
        + ("set no cookie." if cleared is None else f"set {cleared.OutputString()[:160]}.") + f" {LOOK}"
    )
    assert (cleared["path"] or "/") == (cookie["path"] or "/"), (
        f"The cookie POST {LOGOUT} clears should have the Path the sign-in gave it ({cookie['path']}): a browser "
        f"keeps a cookie of another path, and the session with it. Your app cleared Path={cleared['path']}. {LOOK}"
    )
    after = await with_cookie(http, REFRESH, cookie)
    assert after.status_code == 401, (
        f"After sign-out the refresh token should be refused, even if someone kept a copy: POST {REFRESH} with it "
        f"answered {show(after)}. Revoke the session's tokens in the sign-out route. {LOOK}"
    )
