"""Lesson 07: an access token counts only when the app's own rules say so.

Every check here signs in for real, takes the app's own token apart, and sends forged
variants of it to GET /tasks, which needs a signed-in user. Each must answer 401.
"""

import secrets
import time

from shiplings.testing import load_app, show
from support.accounts import learner_client, sign_up_and_in

DECODE = (
    "decode_access_token() in app/core/security.py should let jwt.decode() check the token: "
    "jwt.decode(token, secret, algorithms=[\"HS256\"], options={\"require\": [\"exp\", \"sub\"]})"
)


async def genuine_works(http, what: str) -> None:
    """The token the app just handed out still opens GET /tasks: refusing every token is no check."""
    response = await http.get("/tasks")
    assert response.status_code == 200, (
        f"GET /tasks with the genuine token POST /auth/token just handed out should answer 200 "
        f"(the check then refuses {what}); your app answered {show(response)}. An app that refuses "
        "every token passes no check of tokens: it signs everybody out. decode_access_token() in "
        "app/core/security.py should accept the tokens create_access_token() makes: the same "
        "secret, algorithms=[\"HS256\"], and options={\"require\": [\"exp\", \"sub\"]}, the "
        "claims create_access_token() writes and nothing more."
    )


async def refused(kit, http, token: str) -> tuple:
    response = await http.get("/tasks", headers={"Authorization": f"Bearer {token}"})
    return response, kit.refusal_problem(response)


async def test_signature_is_checked(client, app_env, kit):
    await genuine_works(client, "forged tokens")
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
        response, problem = await refused(kit, client, forged)
        assert problem is None, (
            f"GET /tasks with {what} should answer 401 in the error envelope; {problem}: "
            f"{show(response)}. Anybody can write such a token, so anybody could act as anybody. "
            f"{DECODE}"
        )


async def test_algorithm_is_pinned(client, app_env, kit):
    await genuine_works(client, "tokens signed with other algorithms")
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
        response, problem = await refused(kit, client, forged)
        assert problem is None, (
            f"GET /tasks with {what} should answer 401: the app signs with HS256 only, so it "
            f"must accept HS256 only, whatever the token's header says; {problem}: {show(response)}. "
            "Pass algorithms=[\"HS256\"] to jwt.decode() in decode_access_token() "
            "(app/core/security.py), never a value read from the token."
        )


async def test_expired_token_is_refused(client, app_env, kit):
    await genuine_works(client, "an expired token")
    claims = kit.claims_of(kit.bearer(client))
    secret = app_env["TASKS_SECRET_KEY"].encode()
    now = int(time.time())
    expired = kit.forge({**claims, "iat": now - 3600, "exp": now - 120}, key=secret)
    response, problem = await refused(kit, client, expired)
    assert problem is None, (
        "GET /tasks with a correctly signed token that expired two minutes ago should answer "
        f"401 with `WWW-Authenticate: Bearer` in the error envelope; {problem}: {show(response)}. "
        "A token without a working expiry is a key that never stops opening the door. "
        f"{DECODE}"
    )


async def test_exp_and_sub_are_required(client, app_env, kit, monkeypatch):
    await genuine_works(client, "tokens without exp or sub")
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
        response, problem = await refused(kit, client, forged)
        assert problem is None, (
            f"GET /tasks with {what} should answer 401; {problem}: {show(response)}. jwt.decode() "
            "only insists on claims you list: options={\"require\": [\"exp\", \"sub\"]} in "
            "decode_access_token() (app/core/security.py)."
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
