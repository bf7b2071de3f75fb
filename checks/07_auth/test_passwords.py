"""Lesson 07: passwords are stored as argon2id hashes, and signing in leaks no account."""

import re
import secrets
import statistics
import time

import pytest
from argon2 import PasswordHasher

from shiplings.testing import show
from support.accounts import sign_up_and_in

ARGON2 = re.compile(r"^\$(argon2(?:id|i|d))\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$")
# OWASP's Password Storage Cheat Sheet: argon2id configurations of equal strength
# (memory in KiB, passes). The course's baseline is the second: 19 MiB, 2 passes, 1 lane.
OWASP_MINIMUMS = [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]


async def test_passwords_stored_as_argon2id(anonymous_client, app_env, kit):
    email, password = "grace@example.com", "Grace-" + secrets.token_urlsafe(12)
    created = await anonymous_client.post("/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, f"POST /auth/register should answer 201; your app answered {show(created)}."

    found = [path.name for path in kit.database_file(app_env).parent.glob(kit.database_file(app_env).name + "*")
             if password.encode() in path.read_bytes()]
    assert not found, (
        f"The password itself is written in the database ({', '.join(found)}): whoever gets a "
        "copy of it (a backup, a leaked dump) reads every password. Look at what register() in "
        "app/api/routes/auth.py writes to users.hashed_password, and at hash_password() in "
        "app/core/security.py."
    )
    rows = kit.execute(app_env, "SELECT * FROM users WHERE email = ?", email)
    values = [value for row in rows for value in row if isinstance(value, str)]
    hashes = [value for value in values if value.startswith("$argon2")]
    assert hashes, (
        f"The users row for {email} should hold an argon2 hash (\"$argon2id$v=19$m=...\"); it "
        f"holds {values}. Hash passwords with pwdlib's Argon2Hasher in app/core/security.py."
    )
    variant, memory, passes, lanes = ARGON2.match(hashes[0]).groups() if ARGON2.match(hashes[0]) else ("?", 0, 0, 0)
    memory, passes, lanes = int(memory), int(passes), int(lanes)
    strong = variant == "argon2id" and lanes >= 1 and any(memory >= m and passes >= t for m, t in OWASP_MINIMUMS)
    assert strong, (
        f"The stored hash uses {variant} with m={memory} KiB, t={passes}, p={lanes}: "
        f"{hashes[0][:40]}... OWASP's minimum is argon2id with m=19456 (19 MiB), t=2, p=1 "
        "(or an equivalent: 46 MiB with t=1, 12 MiB with t=3, ...). Each guess must cost an "
        "attacker that much memory and time. Set memory_cost, time_cost and parallelism of the "
        "Argon2Hasher in app/core/security.py."
    )
    try:
        matches = PasswordHasher().verify(hashes[0], password)
    except Exception:  # noqa: BLE001 - any failure means the hash is not of this password
        matches = False
    assert matches, (
        f"The stored hash {hashes[0][:40]}... does not verify the password that was sent at "
        "sign-up: hash the password itself, as the user typed it."
    )


@pytest.mark.timeout(60)
async def test_unknown_email_costs_a_hash(anonymous_client):
    http = anonymous_client
    email = "heidi@example.com"
    created = await http.post("/auth/register", json={"email": email, "password": "heidi's own password"})
    assert created.status_code == 201, f"POST /auth/register should answer 201; your app answered {show(created)}."

    async def sign_in(username: str):
        started = time.perf_counter()
        response = await http.post("/auth/token", data={"username": username, "password": "a wrong guess"})
        return time.perf_counter() - started, response

    await sign_in(email)  # warm-up: first requests pay for imports and caches
    await sign_in("nobody-warm-up@example.com")
    known, unknown = [], []
    for _ in range(7):  # interleaved, so a busy moment hits both sides alike
        seconds, wrong_password = await sign_in(email)
        known.append(seconds)
        seconds, no_account = await sign_in(f"nobody-{secrets.token_hex(4)}@example.com")
        unknown.append(seconds)

    assert wrong_password.status_code == no_account.status_code and wrong_password.json() == no_account.json(), (
        "A wrong password and an unknown email should get the very same answer, or the answer "
        f"itself tells who has an account: {show(wrong_password)} versus {show(no_account)}. "
        "Look at token() in app/api/routes/auth.py."
    )
    ratio = statistics.median(unknown) / statistics.median(known)
    assert ratio >= 0.5, (
        f"Signing in with an unknown email took {statistics.median(unknown) * 1000:.0f} ms, with a "
        f"wrong password for a real account {statistics.median(known) * 1000:.0f} ms (medians of "
        f"7): {ratio:.0%} of the time. The difference tells an attacker which emails have "
        "accounts. When no user has the email, authenticate() in app/api/routes/auth.py should "
        "still verify the password, against dummy_hash() (app/core/security.py), then refuse."
    )
    await hashing_does_not_block(http)


async def _loops_share(request) -> tuple[float, float]:
    """(the CPU this process spent while `request` ran, the event loop's own part of it).

    The loop's thread is this one (the app runs in process, on this loop). CPU, not wall-clock
    time: on a busy machine the whole process waits its turn, and a loop that stood still for
    that reason is not a loop that was blocked. Hashing on the loop makes its thread's CPU
    almost all of the process's; hashing in a worker thread leaves the loop a small share.
    """
    process, loop = time.process_time(), time.thread_time()
    await request()
    return time.process_time() - process, time.thread_time() - loop


async def hashing_does_not_block(http) -> None:
    """Sign-up and sign-in hash off the event loop: other requests go on meanwhile."""
    password = "ivan's long password"
    await sign_up_and_in(http, "ivan-warm-up@example.com", password)  # imports and caches
    shares = {"POST /auth/register": [], "POST /auth/token": []}
    for number in range(5):
        email = f"ivan-{number}@example.com"
        spent, on_loop = await _loops_share(
            lambda email=email: http.post("/auth/register", json={"email": email, "password": password})
        )
        shares["POST /auth/register"].append((on_loop / max(spent, 1e-6), spent, on_loop))
        spent, on_loop = await _loops_share(
            lambda email=email: http.post("/auth/token", data={"username": email, "password": password})
        )
        shares["POST /auth/token"].append((on_loop / max(spent, 1e-6), spent, on_loop))
    for route, measured in shares.items():
        share, spent, on_loop = sorted(measured)[len(measured) // 2]  # the median
        assert share < 0.5, (
            f"While {route} hashed a password, the event loop itself did {on_loop * 1000:.0f} ms of the "
            f"{spent * 1000:.0f} ms of CPU the request cost (median of 5): the hashing ran on the loop, and "
            "no other request, of any user, was served meanwhile. argon2 costs tens of milliseconds of CPU on "
            "purpose; called directly in an async def route it blocks the loop. Run hash_password() and "
            "verify_password() in a worker thread (app/api/routes/auth.py)."
        )
