"""Lesson 07: an access token counts only when the app's own rules say so.

Every check here signs in for real, takes the app's own token apart, and sends forged
variants of it to GET /tasks, which needs a signed-in user. Each must answer 401.
"""

import secrets
import time

from shiplings.testing import load_app, show
from support.accounts import learner_client, sign_up_and_in

DECODE = (
    "Look at decode_access_token() in app/core/security.py: jwt.decode() checks only what it is "
    "asked to check."
)


async def genuine_works(kit, http, what: str) -> None:
    """The token the app just handed out still opens GET /tasks: refusing every token is no check."""
    response = await http.get("/tasks")
    assert response.status_code == 200, (
        f"GET /tasks with the genuine token POST /auth/token just handed out should answer 200 "
        f"(the check then tries {what}); your app answered {show(response)}. {kit.GENUINE_REFUSED}"
    )


async def expect_refused(kit, http, token: str, what: str, why: str) -> None:
    response = await http.get("/tasks", headers={"Authorization": f"Bearer {token}"})
    kit.expect_refused(response, f"GET /tasks with {what}", why)


async def test_signature_is_checked(client, app_env, kit):
    await genuine_works(kit, client, "forged tokens")
    token = kit.bearer(client)
    claims = kit.claims_of(token)
    header, payload, signature = token.split(".")
    flipped = bytearray(kit.unb64url(signature))
    flipped[0] ^= 0xFF
    other = await client.post("/auth/register", json={"email": "other@example.com", "password": secrets.token_hex(12)})
    assert other.status_code == 201 and "id" in other.json(), (
        f"POST /auth/register should answer 201 with the new user's id; your app answered {show(other)}."
    )
    other_user = {**claims, "sub": str(other.json()["id"])}
    cases = {
        'a token whose header says "alg": "none" and that has no signature at all':
            kit.forge(claims, alg="none"),
        "a token whose signature was altered": f"{header}.{payload}.{kit.b64url(bytes(flipped))}",
        "a token whose claims were edited (another user's id as sub) after it was signed":
            f"{header}.{kit.forge(other_user).split('.')[1]}.{signature}",
        "a token signed with another secret than TASKS_SECRET_KEY":
            kit.forge(claims, key=secrets.token_bytes(32)),
    }
    for what, forged in cases.items():
        await expect_refused(kit, client, forged, what,
                             f"Anybody can write such a token, so anybody could act as anybody. {DECODE}")


async def test_algorithm_is_pinned(client, app_env, kit):
    await genuine_works(kit, client, "tokens signed with other algorithms")
    claims = kit.claims_of(kit.bearer(client))
    secret = app_env["TASKS_SECRET_KEY"].encode()
    cases = {
        "an RS256 token (RSA signature, made with an attacker's own key pair)":
            kit.forge(claims, alg="RS256", signature=secrets.token_bytes(256)),
        "an HS256 token signed with an RSA public key as the secret (RS256/HS256 confusion)":
            kit.forge(claims, alg="HS256", key=kit.PUBLIC_KEY_PEM),
        "an HS512 token signed with your real secret (an algorithm you never chose)":
            kit.forge(claims, alg="HS512", key=secret),
    }
    for what, forged in cases.items():
        await expect_refused(
            kit, client, forged, what,
            "The app signs with HS256 only, so it must accept HS256 only, whatever the token's header "
            "says. Look at which algorithms decode_access_token() in app/core/security.py lets "
            "jwt.decode() accept, and where that list comes from.",
        )


async def test_expired_token_is_refused(client, app_env, kit):
    await genuine_works(kit, client, "an expired token")
    claims = kit.claims_of(kit.bearer(client))
    secret = app_env["TASKS_SECRET_KEY"].encode()
    now = int(time.time())
    expired = kit.forge({**claims, "iat": now - 3600, "exp": now - 120}, key=secret)
    await expect_refused(
        kit, client, expired, "a correctly signed token that expired two minutes ago",
        f"A token without a working expiry is a key that never stops opening the door. {DECODE}",
    )


async def test_exp_and_sub_are_required(client, app_env, kit, monkeypatch):
    await genuine_works(kit, client, "tokens without exp or sub")
    claims = kit.claims_of(kit.bearer(client))
    assert "exp" in claims and "sub" in claims, (
        f"The tokens your app hands out should hold \"sub\" (the user's id) and \"exp\" (when it "
        f"expires); a token from POST /auth/token holds {sorted(claims)}. Look at "
        "create_access_token() in app/core/security.py."
    )
    secret = app_env["TASKS_SECRET_KEY"].encode()
    cases = {
        'a correctly signed token without "exp" (it would never expire)':
            kit.forge({key: value for key, value in claims.items() if key != "exp"}, key=secret),
        'a correctly signed token without "sub" (nobody\'s token)':
            kit.forge({key: value for key, value in claims.items() if key != "sub"}, key=secret),
    }
    for what, forged in cases.items():
        await expect_refused(
            kit, client, forged, what,
            "jwt.decode() insists only on the claims it is told to require: look at its options in "
            "decode_access_token() (app/core/security.py).",
        )

    # the lifetime is the setting's: an app started with TASKS_ACCESS_TOKEN_MINUTES=17
    minutes = 17
    monkeypatch.setenv("TASKS_ACCESS_TOKEN_MINUTES", str(minutes))
    async with learner_client(load_app()) as http:
        before = time.time()
        token = await sign_up_and_in(http, "lifetime@example.com", "a password for the lifetime")
    claims = kit.claims_of(token)
    issued = claims.get("iat", before)
    lifetime = (claims.get("exp") or 0) - issued
    assert isinstance(lifetime, int | float) and abs(lifetime - minutes * 60) <= 5, (
        f"With TASKS_ACCESS_TOKEN_MINUTES={minutes}, a token from POST /auth/token should expire "
        f"{minutes} minutes ({minutes * 60} s) after it was issued; exp - iat is {lifetime:.0f} s "
        f"(claims {claims}). The lifetime comes from settings.access_token_minutes, which "
        "token() in app/api/routes/auth.py passes to create_access_token() "
        "(app/core/security.py), as minutes."
    )
