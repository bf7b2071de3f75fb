"""The class board as a JupyterHub service (shiplings.board.hub): JupyterHub's own HubAuth and HubOAuth,
against a stand-in for the hub's REST API whose users hold the scopes that the config a hub admin
pastes (src/shiplings/board/jupyterhub_config.py) gives them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from board_helpers import serving
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse
from traitlets.config.loader import PyFileConfigLoader
from typer.testing import CliRunner

from shiplings.board import hub, outbox
from shiplings.board.app import create_app
from shiplings.board.security import InstructorKeys
from shiplings.board.settings import BoardSettings
from shiplings.board.summary import LessonInfo
from shiplings.cli import app as cli

SNIPPET = Path(hub.__file__).with_name("jupyterhub_config.py")
PREFIX = "/services/shiplings-board"
CLIENT_ID = "service-shiplings-board"
SERVICE_TOKEN = "the-board-s-own-hub-token"
LESSONS = [LessonInfo("01_hello", "01", "Hello", 15, {"test_hello": "GET /hello says hello"})]


def snippet() -> dict:
    """The pasted config, as JupyterHub reads it."""
    config = PyFileConfigLoader(SNIPPET.name, path=str(SNIPPET.parent)).load_config()
    return {"services": config.JupyterHub.services, "roles": config.JupyterHub.load_roles,
            "groups": config.JupyterHub.load_groups, "custom_scopes": config.JupyterHub.custom_scopes,
            "server_token_scopes": config.Spawner.server_token_scopes, "environment": config.Spawner.environment}


class FakeHub:
    """The hub's REST API as the board meets it: who a token belongs to, and OAuth with PKCE.

    A user's scopes come from the snippet's roles: the "user" role for everybody, the instructor
    role for its members; a server token holds the server_token_scopes its user holds, and an
    OAuth token for the board holds the board's access scope plus the allowed scopes its user holds.
    """

    def __init__(self, config: dict, instructors: set[str]) -> None:
        self.config = config
        self.instructors = instructors
        self.tokens: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.board = next(each for each in config["services"] if each["name"] == "shiplings-board")

    def held(self, user: str) -> set[str]:
        scopes = set()
        for role in self.config["roles"]:
            members = set(role.get("users", []))
            for group in role.get("groups", []):
                members |= set(self.config["groups"].get(group, {}).get("users", []))
            if role["name"] == "user" or user in members or (user in self.instructors and role.get("groups")):
                scopes |= {scope for scope in role["scopes"] if scope != "self"}
        return scopes | {f"users:activity!user={user}", f"access:servers!server={user}/"}

    def server_token(self, user: str) -> str:
        own = {"users:activity!user": f"users:activity!user={user}",
               "access:servers!server": f"access:servers!server={user}/"}
        scopes = {own.get(scope, scope) for scope in self.config["server_token_scopes"]} & self.held(user)
        token = f"server-{user}-{secrets.token_hex(4)}"
        self.tokens[token] = {"kind": "user", "name": user, "scopes": sorted(scopes)}
        return token

    def app(self) -> FastAPI:
        api = FastAPI()
        access = f"access:services!service={self.board['name']}"

        @api.get("/hub/api/user")
        async def who(authorization: str = Header("")) -> JSONResponse:
            model = self.tokens.get(authorization.removeprefix("token "))
            return JSONResponse(model) if model else JSONResponse({"status": 403}, status_code=403)

        @api.get("/hub/api/oauth2/authorize")
        async def authorize(request: Request, x_hub_user: str = Header()) -> RedirectResponse:
            query = request.query_params
            assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
            if access not in self.held(x_hub_user):  # the hub itself refuses a user who may not reach the board
                return JSONResponse({"error": "forbidden"}, status_code=403)
            code = secrets.token_urlsafe(8)
            self.codes[code] = {"user": x_hub_user, "redirect_uri": query["redirect_uri"],
                                "challenge": query["code_challenge"]}
            return RedirectResponse(f"{query['redirect_uri']}?code={code}&state={query['state']}", status_code=302)

        @api.post("/hub/api/oauth2/token")
        async def token(client_id: str = Form(), client_secret: str = Form(), code: str = Form(),
                        redirect_uri: str = Form(), code_verifier: str = Form(), grant_type: str = Form()):
            issued = self.codes.pop(code, None)
            digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).decode().rstrip("=")
            if (issued is None or client_secret != SERVICE_TOKEN or client_id != CLIENT_ID
                    or redirect_uri != issued["redirect_uri"] or digest != issued["challenge"]):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            allowed = {access, *self.board.get("oauth_client_allowed_scopes", [])}
            token = f"oauth-{secrets.token_hex(8)}"
            self.tokens[token] = {"kind": "user", "name": issued["user"],
                                  "scopes": sorted(allowed & self.held(issued["user"]))}
            return {"access_token": token, "token_type": "Bearer"}

        return api


@pytest.fixture
def hub_and_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", f"{PREFIX}/")
    fake = FakeHub(snippet(), instructors={"grace"})
    settings = BoardSettings(folder=tmp_path / "board", log_level="WARNING")
    secret = InstructorKeys(settings.folder).ensure()
    with serving(fake.app()) as hub_url:
        from shiplings.net import free_port

        port = free_port()
        board_url = f"http://127.0.0.1:{port}"
        auth = hub.make_auth(api_url=f"{hub_url}/hub/api", api_token=SERVICE_TOKEN, oauth_client_id=CLIENT_ID,
                             hub_host=hub_url, hub_prefix="/hub/", base_url=f"{PREFIX}/",
                             oauth_redirect_uri=f"{board_url}{PREFIX}/oauth_callback",
                             access_scopes={"access:services!service=shiplings-board"})
        with serving(create_app(settings, LESSONS, hub_auth=auth), port=port):
            yield fake, f"{board_url}{PREFIX}", secret, settings


def report(passed: bool = False) -> dict:
    return {"reports": [{"key": uuid.uuid4().hex, "kind": "check", "lesson": "01_hello", "passed": passed,
                         "duration": 1.0, "at": time.time(),
                         "checks": [{"test": "test_hello", "outcome": "passed" if passed else "failed"}]}]}


def test_the_snippet_passes_jupyterhub_s_own_scope_rules() -> None:
    from jupyterhub.scopes import _check_scopes_exist, define_custom_scopes, scope_definitions

    config = snippet()
    assert set(config["custom_scopes"]) == {hub.INSTRUCT_SCOPE}
    define_custom_scopes(config["custom_scopes"])
    try:
        for role in config["roles"]:
            _check_scopes_exist([scope for scope in role["scopes"] if scope != "self"], who_for=role["name"])
        _check_scopes_exist(config["server_token_scopes"], who_for="server tokens")
        (board,) = config["services"]
        _check_scopes_exist(board["oauth_client_allowed_scopes"], who_for="the board's OAuth client")
    finally:
        scope_definitions.pop(hub.INSTRUCT_SCOPE, None)
    assert board["command"][-2:] == ["board", "serve"]
    access = f"access:services!service={board['name']}"
    assert access in config["server_token_scopes"], "learners' server tokens could not reach the board"
    assert access in next(role for role in config["roles"] if role["name"] == "user")["scopes"]
    assert config["environment"]["SHIPLINGS_BOARD_URL"] == board["url"]


def test_a_learner_reports_with_their_hub_token(hub_and_board) -> None:
    fake, board, secret, _ = hub_and_board
    ada = {"Authorization": f"token {fake.server_token('ada')}"}
    joined = httpx.post(f"{board}/api/join/hub", headers=ada)
    assert joined.status_code == 200, joined.text
    assert joined.json() | {"learner_id": None} == {"token": None, "learner_id": None, "name": "ada"}
    assert httpx.post(f"{board}/api/reports", json=report(), headers=ada).json()["stored"] == 1
    # a new server (a new token) is the same learner
    again = {"Authorization": f"Bearer {fake.server_token('ada')}"}
    assert httpx.post(f"{board}/api/reports", json=report(passed=True), headers=again).json()["stored"] == 1
    teacher = {"Authorization": "Bearer " + httpx.post(f"{board}/api/instructor/session",
                                                       json={"secret": secret}).json()["token"]}
    rows = httpx.get(f"{board}/api/board", headers=teacher).json()["learners"]
    assert [(row["name"], row["lessons"]["01_hello"]["runs"]) for row in rows] == [("ada", 2)]
    # a token the hub does not know
    unknown = httpx.post(f"{board}/api/reports", json=report(), headers={"Authorization": "token made-up"})
    assert unknown.status_code == 401
    # removed by the instructor: refused, whatever server token they come back with
    assert httpx.delete(f"{board}/api/learners/{joined.json()['learner_id']}", headers=teacher).status_code == 200
    back = {"Authorization": f"token {fake.server_token('ada')}"}
    refused = httpx.post(f"{board}/api/reports", json=report(), headers=back)
    assert refused.status_code == 410


def test_a_server_token_without_the_board_s_scope_is_refused_with_the_fix(hub_and_board) -> None:
    fake, board, _, _ = hub_and_board
    fake.config["server_token_scopes"] = ["users:activity!user", "access:servers!server"]  # JupyterHub's default
    response = httpx.post(f"{board}/api/reports", json=report(),
                          headers={"Authorization": f"token {fake.server_token('bo')}"})
    assert response.status_code == 403
    assert "c.Spawner.server_token_scopes" in response.json()["error"]["message"]


def sign_in_through_the_hub(board: str, user: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client()
    page = client.get(f"{board}/api/board")
    assert page.status_code == 401 and page.headers["x-board-sign-in"] == "api/instructor/hub-login"
    login = client.get(f"{board}/api/instructor/hub-login")
    assert login.status_code == 302
    authorize = urlsplit(login.headers["location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/hub/api/oauth2/authorize"
    assert query["redirect_uri"] == [f"{board}/oauth_callback"] and query["code_challenge_method"] == ["S256"]
    at_hub = client.get(login.headers["location"], headers={"X-Hub-User": user})
    if at_hub.status_code != 302:
        return client, at_hub
    return client, client.get(at_hub.headers["location"])


def test_an_instructor_signs_in_through_the_hub_with_the_custom_scope(hub_and_board) -> None:
    _, board, _, _ = hub_and_board
    client, back = sign_in_through_the_hub(board, "grace")
    assert back.status_code == 302, back.text
    assert back.headers["location"] == f"{PREFIX}/"
    seen = client.get(f"{board}/api/board")  # the session cookie, under the service's prefix
    assert seen.status_code == 200 and seen.json()["counts"]["learners"] == 0
    assert client.post(f"{board}/api/codes", json={"hours": 1}).status_code == 201


def test_a_hub_user_without_the_instruct_scope_is_refused(hub_and_board) -> None:
    fake, board, _, _ = hub_and_board
    fake.server_token("ada")
    client, back = sign_in_through_the_hub(board, "ada")
    assert back.status_code == 403
    assert hub.INSTRUCT_SCOPE in back.json()["error"]["message"]
    assert "shiplings-board-instructor" in back.json()["error"]["message"]
    assert client.get(f"{board}/api/board").status_code == 401


def test_a_forged_oauth_state_is_refused(hub_and_board) -> None:
    _, board, _, _ = hub_and_board
    client = httpx.Client()
    client.get(f"{board}/api/instructor/hub-login")
    forged = client.get(f"{board}/oauth_callback", params={"code": "x", "state": "not-the-cookie-s"})
    assert forged.status_code == 403 and "did not match" in forged.json()["error"]["message"]


def test_shiplings_join_hub_reports_with_the_server_s_token(hub_and_board, tiny_course: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fake, board, _, _ = hub_and_board
    monkeypatch.setenv("SHIPLINGS_BOARD_URL", board)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", fake.server_token("lin"))
    joined = CliRunner().invoke(cli, ["join", "--hub"])
    assert joined.exit_code == 0, joined.output
    assert "as lin" in joined.output
    assert outbox.membership()["token"] is None  # the token is the server's, read at each send
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", fake.server_token("lin"))  # the server restarted
    outbox._queue({"kind": "check", "lesson": "01_hello", "passed": True, "duration": 1.0, "checks": []})
    deadline = time.monotonic() + 30
    while outbox.queued() and time.monotonic() < deadline:
        outbox.send_queued()
        time.sleep(0.1)
    assert outbox.queued() == []
    status = CliRunner().invoke(cli, ["join"])
    assert status.exit_code == 0 and f"You report to the board at {board} as lin" in status.output


def test_a_standalone_board_has_no_hub_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JUPYTERHUB_SERVICE_NAME", "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = BoardSettings(folder=tmp_path / "board", log_level="WARNING")
    InstructorKeys(settings.folder).ensure()
    with serving(create_app(settings, LESSONS)) as url:
        assert httpx.post(f"{url}/api/join/hub", headers={"Authorization": "token x"}).status_code == 401
        assert httpx.get(f"{url}/api/instructor/hub-login").status_code == 404
        nobody = httpx.get(f"{url}/api/board")
        assert nobody.status_code == 401 and "x-board-sign-in" not in nobody.headers


def test_the_hub_guide_shows_the_snippet_as_it_is() -> None:
    """The guide quotes the file the tests check: the two never drift apart."""
    guide = (Path(__file__).resolve().parents[1] / "site/docs/guides/hub.md").read_text(encoding="utf-8")
    assert f"```python\n{SNIPPET.read_text(encoding='utf-8')}```" in guide


def test_the_page_sends_an_instructor_through_the_hub_and_shows_the_board(hub_and_board, browser) -> None:
    """In Chromium, under the service's prefix: the page's 401 leads to the hub's sign-in and back."""
    import os

    from shiplings.board.app import vue_file
    from shiplings.commands.board import prepare_page

    fake, board, _, settings = hub_and_board
    problem = prepare_page(settings)
    if problem and os.environ.get("CI") != "true":
        pytest.skip(f"the page's Vue could not be installed here: {problem}")
    assert vue_file(settings).is_file()
    httpx.post(f"{board}/api/join/hub", headers={"Authorization": f"token {fake.server_token('ada')}"})
    context = browser.new_context(extra_http_headers={"X-Hub-User": "grace"})  # who the hub has signed in
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{board}/")
    page.get_by_test_id("grid").wait_for(timeout=20_000)
    assert page.url == f"{board}/"
    assert page.locator("tr[data-learner='ada']").count() == 1
    assert errors == []
    context.close()
