"""Lesson 17 on a real engine: the learner's stack, up once per run, used and broken on purpose.

Each check reads what it can from the compose model first (no engine needed) and asks for the
running stack only once that is right: a mistake the file already shows costs seconds. The
checks run in this order on the one stack: up and healthy, closed to the host, the critical
path in Chromium, the proxy's headers, a killed backend, `down` and `up` again, and last the
sign-in limit (it uses up this machine's sign-in attempts for a minute).

Without a Docker Engine the same services run on this machine (support/native_stack.py): the
checks prove what they can there, and end as "cannot run" for what only containers show.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import time

import httpx
import pytest

from shiplings.patience import machine_factor
from support import compose
from support.accounts import LEARNER_PASSWORD
from support.browser import list_loaded, patient
from support.compose_stack import running_stack

# building the images the first time installs every dependency: minutes on a busy machine
STACK = pytest.mark.timeout(1800)
ENGINE = pytest.mark.timeout(300)
# how long a killed backend may take to answer again: a restart, two workers importing the app
BACK_WITHIN_SECONDS = 60
# nginx's own error pages end like this; a friendly page says something to the people using the app
NGINX_STOCK_PAGE = re.compile(r"<center>nginx(/[\d.]+)?</center>", re.IGNORECASE)


def the_stack(request, resolved, container_only: str = ""):
    return running_stack(request, resolved, ": see the first check.", container_only)


def new_account(api: httpx.Client) -> tuple[str, dict[str, str]]:
    """Sign up and in through the proxy; (email, the Authorization header)."""
    email = f"compose-{secrets.token_hex(4)}@example.com"
    signed_up = api.post("/auth/register", json={"email": email, "password": LEARNER_PASSWORD})
    assert signed_up.status_code == 201, (
        f"Signing up through the proxy (POST /api/auth/register) answered {signed_up.status_code} "
        f"{signed_up.text[:300]!r}; the proxy should forward /api/... to the backend without the /api prefix "
        "(/api/auth/register arrives as /auth/register), where it answers 201. The proxy's config: proxy/nginx.conf."
    )
    token = api.post("/auth/token", data={"username": email, "password": LEARNER_PASSWORD})
    assert token.status_code == 200, (
        f"Signing in through the proxy (POST /api/auth/token) answered {token.status_code} {token.text[:300]!r}."
    )
    return email, {"Authorization": f"Bearer {token.json()['access_token']}"}


@STACK
def test_stack_comes_up_healthy(resolved, request):
    stack = the_stack(request, resolved)
    states = {entry["Service"]: entry for entry in stack.ps()}
    problems = []
    for name in stack.model["services"]:
        entry = states.get(name)
        if entry is None:
            problems.append(f"{name} has no container")
        elif name == "migrate":
            if entry["State"] != "exited" or entry.get("ExitCode") != 0:
                problems.append(f"migrate is {entry['State']} (exit code {entry.get('ExitCode')})")
        elif entry["State"] != "running" or entry.get("Health") not in ("", None, "healthy"):
            problems.append(f"{name} is {entry['State']} {entry.get('Health') or ''}".strip())
    assert not problems, (
        "After `docker compose up --wait` every service should be running (and healthy, where it has a "
        "healthcheck), and migrate should have exited with 0: " + "; ".join(problems) + f".\n{stack.states()}"
    )
    others = getattr(stack, "not_run", [])  # natively: services other than the six run in containers only
    stack.container_only("that each service's healthcheck passes (what `docker compose up --wait` waits for)"
                         + (f", and {', '.join(others)}, which run in containers only," if others else ""))


@ENGINE
def test_database_and_redis_unreachable_from_the_host(resolved, request):
    published = compose.published_ports(resolved.services())
    open_ones = {name: published[name] for name in ("db", "redis") if name in published}
    assert not open_ones, (
        "The database and Redis should be reachable from the stack's own network only; "
        + "; ".join(f"{name} publishes {', '.join(ports)}" for name, ports in open_ones.items())
        + ". Remove their `ports:`: the backend reaches them as db:5432 and redis:6379."
    )
    stack = the_stack(request, resolved, container_only="that the running db and redis containers bind no port "
                                                        "on the host")
    for name in ("db", "redis"):
        found = stack.engine.docker("inspect", "--format",
                                    "{{json .NetworkSettings.Ports}} {{.HostConfig.NetworkMode}}",
                                    stack.container(name), check=False, timeout=60).stdout.strip()
        ports, _, mode = found.rpartition(" ")
        bound = {port: bindings for port, bindings in (json.loads(ports or "null") or {}).items() if bindings}
        assert not bound and mode != "host", (
            f"The running {name} container is reachable from this machine: "
            f"{'it shares the host network' if mode == 'host' else f'ports {sorted(bound)} are bound on the host'}. "
            "Only the proxy should be."
        )


@ENGINE
def test_critical_path_through_the_proxy_in_a_browser(resolved, request):
    stack = the_stack(request, resolved)
    browser = request.getfixturevalue("browser")
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        email, _ = new_account(api)
    context = browser.new_context(base_url=stack.url)
    try:
        tab = context.new_page()
        opened = tab.goto("/login", wait_until="domcontentloaded")
        assert opened is not None and opened.status == 200, (
            f"Opening {stack.url}/login through the proxy answered {opened.status if opened else 'nothing'}: "
            "the proxy should pass every path outside /api/ to the frontend container (proxy_pass http://frontend)."
        )
        title = f"Shipped with compose {secrets.token_hex(3)}"
        try:
            tab.get_by_label("Email").fill(email)
            tab.get_by_label("Password").fill(LEARNER_PASSWORD)
            # as a person would: see the list first. A task added while the first GET is still on
            # its way can be replaced by that GET's older answer (a race of the app, not the proxy's)
            with tab.expect_response(list_loaded, timeout=patient(20_000)):
                tab.get_by_role("button", name="Sign in").click()
            tab.get_by_label("New task").fill(title, timeout=patient(20_000))
            tab.get_by_role("button", name="Add").click()
            tab.locator('[data-test="task"]', has_text=title).wait_for(timeout=patient(20_000))
        except Exception as error:  # noqa: BLE001 - Playwright's TimeoutError: the assertion says where it stopped
            raise AssertionError(
                "In Chromium, through the proxy: signing in on /login and adding a task should work; it stopped "
                f"at {tab.url.removeprefix(stack.url)} ({str(error).splitlines()[0][:200]}). The page calls /api/..., "
                f"which the proxy should forward to the backend without the /api prefix. The proxy's last log lines:\n"
                f"{stack.logs('proxy', 8)}"
            ) from None
        tab.reload()
        try:
            tab.locator('[data-test="task"]', has_text=title).wait_for(timeout=patient(20_000))
        except Exception:  # noqa: BLE001
            raise AssertionError(
                f"After a reload the page should keep the session and show the task; it shows {tab.url}. The page "
                "asks POST /api/auth/refresh with the refresh cookie, whose Path the backend sets to /auth: the "
                "proxy should rewrite it to /api/auth (proxy_cookie_path /auth /api/auth)."
            ) from None
    finally:
        context.close()


@ENGINE
def test_proxy_sets_headers_limits_and_timeouts(resolved, request):
    text, where = compose.proxy_config(resolved.services())
    assert text, (
        "The proxy mounts no nginx config of yours: mount proxy/nginx.conf as /etc/nginx/conf.d/default.conf "
        "(volumes: [\"./proxy/nginx.conf:/etc/nginx/conf.d/default.conf:ro\"])."
    )
    wanted = {"client_max_body_size": "the largest request it lets through",
              "proxy_read_timeout": "how long it waits for the backend's answer",
              "proxy_connect_timeout": "how long it waits to reach the backend",
              "gzip": "compression of text answers"}
    missing = [f"{directive} ({why})" for directive, why in wanted.items()
               if not re.search(rf"^\s*{directive}\s", text, re.MULTILINE)]
    assert not missing, (
        f"The proxy's config ({os.path.basename(where)}) leaves these to nginx's defaults: {'; '.join(missing)}. "
        "Say them in the server block: the defaults (1 MB, 60 s, no gzip) are nobody's decision."
    )
    stack = the_stack(request, resolved)
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        answers = {"/": client.get("/"), "/api/health": client.get("/api/health")}
        spec = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    for path, answer in answers.items():
        assert answer.status_code == 200, (
            f"GET {path} through the proxy answered {answer.status_code} {answer.text[:200]!r}."
        )
        missing = [name for name in ("x-content-type-options", "x-frame-options") if name not in answer.headers]
        assert not missing, (
            f"GET {path} through the proxy has no {' and no '.join(missing)} header. The proxy is the one place "
            "every answer passes: add_header ... always in its server block (X-Content-Type-Options nosniff, "
            "X-Frame-Options DENY)."
        )
        server = answer.headers.get("server", "")
        assert not re.search(r"\d", server), (
            f"GET {path} says which server answers, version and all (Server: {server}): free help for whoever "
            "looks for a known hole in it. `server_tokens off;` in the proxy's config."
        )
    if spec.status_code == 200 and len(spec.content) > 2000:
        assert spec.headers.get("content-encoding") == "gzip", (
            "GET /api/openapi.json through the proxy, asked for gzip, came back uncompressed: the proxy should "
            "compress JSON from the backend too (gzip_types application/json; gzip_proxied any)."
        )


def kill_main_process(stack, container: str) -> None:
    """Kill the container's main process outright (SIGKILL), as a crash or the OOM killer would.

    Not `docker kill`: a container stopped through docker counts as stopped on purpose, and no
    restart policy brings it back. From this machine when its processes are visible here (a
    Linux engine, run as root); otherwise from a helper container in the engine's own process
    namespace (Docker Desktop, colima: the engine runs in a virtual machine).
    """
    pid = int(stack.engine.docker("inspect", "--format", "{{.State.Pid}}", container, timeout=60).stdout.strip())
    try:
        os.kill(pid, signal.SIGKILL)
        return
    except (PermissionError, ProcessLookupError):
        pass
    image = stack.engine.docker("inspect", "--format", "{{.Config.Image}}", container, timeout=60).stdout.strip()
    stack.engine.docker("run", "--rm", "--pid", "host", "--user", "0", "--entrypoint", "sh", image, "-c",
                        f"kill -KILL {pid}", timeout=120)


def watch_outage(url: str, seconds: float, until_back: bool,
                 polls: int | None = None) -> tuple[list[tuple[float, int, str]], float | None]:
    """GET url every 0.1 s for at most `seconds`: every failed answer (seconds since the start, status or 0
    for no answer, body), and when it answered 200 again (None: it did not).

    until_back: stop at the first 200; else after `polls` failed answers.
    """
    started = time.monotonic()
    failed: list[tuple[float, int, str]] = []
    # longer than the proxy may take to give up on a backend that is not there (its own timeouts)
    with httpx.Client(timeout=15) as client:
        while time.monotonic() - started < seconds:
            try:
                answer = client.get(url)
                status, body = answer.status_code, answer.text[:500]
            except httpx.TransportError as error:
                status, body = 0, type(error).__name__
            now = time.monotonic() - started
            if status == 200 and until_back:
                return failed, now
            if status != 200:
                failed.append((now, status, body))
                if polls is not None and len(failed) >= polls:
                    return failed, None
            time.sleep(0.1)
    return failed, None


def restart_count(stack, container: str) -> int:
    found = stack.engine.docker("inspect", "--format", "{{.RestartCount}}", container, check=False, timeout=60)
    return int(found.stdout.strip() or 0)


def friendly(status: int, body: str) -> bool:
    """A proxy's answer while the backend is down that says something to the people using the app."""
    return status in (502, 503, 504) and bool(body.strip()) and not NGINX_STOCK_PAGE.search(body)


@ENGINE
def test_backend_crash_is_survived(resolved, request):
    backend = resolved.services().get("backend") or {}
    assert compose.restarts(backend), (
        f"The backend's restart policy is {compose.restart_policy(backend) or 'none'} (`no`, compose's default): a "
        "backend that crashes stays down until someone notices. Give every long-running service "
        "`restart: unless-stopped` (or on-failure); not migrate, which runs once."
    )
    stack = the_stack(request, resolved)
    failed = [] if stack.native else crash_and_come_back(stack)
    # and while it is down for longer (a stop, a deploy): the proxy's own answer
    stack.stop_service("backend")
    try:
        down, _ = watch_outage(stack.url + "/api/health", 30, until_back=False, polls=3)
    finally:
        stack.start_service("backend")
    unfriendly = [(status, body) for _, status, body in failed + down if not friendly(status, body)]
    shown = (f"{unfriendly[0][0] or 'nothing'} {unfriendly[0][1][:200]!r}" if unfriendly else "nothing")
    assert down and not unfriendly, (
        f"While the backend was down, GET /api/health through the proxy got {shown}: nginx's bare error page "
        "(or none) for the people using the app. Give the proxy a friendly answer of its own for 502/503/504 "
        "(error_page 502 503 504 ...): for /api/ a 503 in the API's error envelope with Retry-After, for pages "
        "an HTML page that says the app is restarting."
    )
    # back for the checks after this one (they say so if it is not)
    watch_outage(stack.url + "/api/health", BACK_WITHIN_SECONDS * min(machine_factor(), 3), until_back=True)
    stack.container_only("that the restart policy brings a crashed backend container back")


def crash_and_come_back(stack) -> list[tuple[float, int, str]]:
    """Kill the backend's main process and wait until it answers through the proxy again; the failed answers."""
    container = stack.container("backend")
    restarts_before = restart_count(stack, container)
    kill_main_process(stack, container)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and restart_count(stack, container) <= restarts_before:
        time.sleep(0.2)
    # nginx may hold a request while the backend comes back (TCP retries its connection): a
    # crash can cost a delay instead of an error; what must not happen is an error page of nginx's own
    failed, back = watch_outage(stack.url + "/api/health", BACK_WITHIN_SECONDS * min(machine_factor(), 3),
                                until_back=True)
    restarted = stack.engine.docker("inspect", "--format", "{{.RestartCount}} {{.State.Status}}", container,
                                    check=False, timeout=60).stdout.split()
    assert back is not None and restarted and int(restarted[0]) > restarts_before, (
        f"The backend's main process was killed (as a crash would) and it did not come back and answer "
        f"GET /api/health through the proxy within {BACK_WITHIN_SECONDS * min(machine_factor(), 3):.0f} s; the "
        f"backend container is {' '.join(restarted[1:]) or 'gone'} after {restarted[0] if restarted else '?'} "
        f"restarts. A restart policy (restart: unless-stopped) brings it back. Its last log lines:\n"
        f"{stack.logs('backend')}\nThe proxy's:\n{stack.logs('proxy', 6)}"
    )
    return failed


@ENGINE
def test_data_survives_down_and_up(resolved, request):
    model = resolved.require()
    named, instead = compose.named_data_volume(resolved.services().get("db") or {}, model.get("volumes") or {})
    assert named, f"PostgreSQL keeps its data in {instead}: see the volume check."
    stack = the_stack(request, resolved, container_only="that the data outlives `docker compose down` in its "
                                                        "named volume")
    title = f"Still here after down {secrets.token_hex(3)}"
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        email, auth = new_account(api)
        created = api.post("/tasks", json={"title": title}, headers=auth)
        assert created.status_code == 201, f"Creating a task through the proxy answered {created.status_code}."
    down = stack.compose("down", "--timeout", "5")
    assert down.returncode == 0, f"`docker compose down` failed: {down.stderr[-500:]}"
    up = stack.up_again()
    assert up.returncode == 0, (
        f"After `docker compose down`, `docker compose up --wait` should bring the stack back; it said:\n"
        f"{(up.stdout + up.stderr)[-800:]}\n{stack.states()}"
    )
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        token = api.post("/auth/token", data={"username": email, "password": LEARNER_PASSWORD})
        assert token.status_code == 200, (
            f"After `docker compose down` and `up`, signing in as the account made before answered "
            f"{token.status_code} {token.text[:200]!r}: the database started empty. {instead.capitalize()} "
            "should be a named volume, which `down` keeps."
        )
        tasks = api.get("/tasks", headers={"Authorization": f"Bearer {token.json()['access_token']}"}).json()
    titles = [task.get("title") for task in (tasks if isinstance(tasks, list) else tasks.get("items", []))]
    assert title in titles, f"After `docker compose down` and `up`, the task made before is gone: {titles}."


# What the backend sees of sign-in attempts sent from inside the stack (python's urllib: the image has no curl)
ATTEMPTS = """
import sys, urllib.error, urllib.parse, urllib.request
url, count, spoof = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "spoof"
codes = []
for i in range(count):
    form = urllib.parse.urlencode({"username": f"nobody{i}@example.com", "password": "not-the-password"}).encode()
    asked = urllib.request.Request(url, data=form)
    if spoof:
        asked.add_header("X-Forwarded-For", f"198.51.100.{i + 1}")
    try:
        codes.append(urllib.request.urlopen(asked, timeout=10).status)
    except urllib.error.HTTPError as error:
        codes.append(error.code)
print(" ".join(map(str, codes)))
"""


def attempts_from_inside(stack, url: str, count: int, spoof: bool) -> list[str]:
    """The status codes of `count` failed sign-ins sent to url from another container of the stack (natively:
    from another loopback address); each with a made-up X-Forwarded-For when spoof."""
    if stack.native:
        codes = []
        with stack.neighbour() as client:
            for attempt in range(count):
                headers = {"X-Forwarded-For": f"198.51.100.{attempt + 1}"} if spoof else {}
                codes.append(str(client.post(stack.address(url), headers=headers, data={
                    "username": f"nobody{attempt}@example.com", "password": "not-the-password"}).status_code))
        return codes
    sent = stack.in_service("backend", "python", "-c", ATTEMPTS, url, str(count), "spoof" if spoof else "plain")
    assert sent.returncode == 0, f"Sign-in attempts from inside the stack failed: {sent.stderr[-400:]}"
    return sent.stdout.split()


def login_limit(backend: dict) -> int:
    limit = compose.environment(backend).get("TASKS_LOGIN_RATE_LIMIT", "5/minute")
    found = re.match(r"\s*(\d+)", limit)
    return min(int(found.group(1)) if found else 5, 20)


@ENGINE
def test_backend_trusts_forwarded_headers_from_the_proxy_only(resolved, request):
    stack = the_stack(request, resolved)
    limit = login_limit(stack.model["services"]["backend"])
    tries = limit + 3
    codes = []
    with httpx.Client(base_url=stack.url + "/api", timeout=30) as api:
        for attempt in range(tries):
            codes.append(api.post("/auth/token", data={"username": f"nobody{attempt}@example.com",
                                                       "password": "not-the-password"},
                                  headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"}).status_code)
            if codes[-1] == 429:
                break
    assert 429 in codes, (
        f"{tries} sign-in attempts from one client through the proxy, each with a different made-up "
        f"X-Forwarded-For, all got through ({codes}): the sign-in limit ({limit} a minute) counts whatever address "
        "a client writes into that header. The proxy should set it from the connection "
        "(proxy_set_header X-Forwarded-For $remote_addr, or $proxy_add_x_forwarded_for), and the backend believe "
        "it from the proxy's address only (gunicorn's --forwarded-allow-ips), never from `*`."
    )
    neighbour = attempts_from_inside(stack, "http://proxy:80/api/auth/token", 1, spoof=False)
    assert neighbour != ["429"], (
        "One client used up its sign-in attempts through the proxy, and then another client (another address) "
        "was refused too (429): the backend counts every request as coming from the proxy's address, so one "
        "client locks everyone out. gunicorn should believe X-Forwarded-For from the proxy: the backend's command "
        "in compose.yaml with --forwarded-allow-ips and the proxy's address (give the proxy a fixed one); the "
        "command line wins over gunicorn.conf.py, which trusts loopback only."
    )
    direct_codes = attempts_from_inside(stack, "http://backend:8000/auth/token", tries, spoof=True)
    assert "429" in direct_codes, (
        f"{tries} sign-in attempts sent to the backend directly (not through the proxy), each with a different "
        f"made-up X-Forwarded-For, all got through ({' '.join(direct_codes)}): the backend "
        "believes that header from anyone who reaches it. Give gunicorn --forwarded-allow-ips with the proxy's "
        "address only, not `*`."
    )
