"""`shiplings up`: the finished Tasks app, as the course ends, running on a Docker Engine.

The root's docker-compose.yml is the last lesson's compose file; the code it builds lives
in the course's overlays, so `up` first lays the last lesson's solution out in the state
folder (product/) and runs the root file with that folder as its project directory. The
.env there (fresh random secrets, made once) and the first account's sign-in are kept
between runs: the database volume was initialised with that password.

It runs in the foreground, like `docker compose up`: Ctrl-C (or SIGTERM) takes the stack down
(the database volume stays), then, on a private engine (CI, a Debian box as root), the engine.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from shiplings import containers, lifeline, paths, standins
from shiplings.commands import common
from shiplings.net import port_is_free
from shiplings.overlays import snapshot_tree, write_tree

COMPOSE_FILE = "docker-compose.yml"
ENV_FILE = ".env"
ENV_EXAMPLE = ".env.example"
SIGN_IN_FILE = "first-sign-in.json"
OVERRIDE_FILE = "compose.port.yaml"
# kept in product/ across runs: what `up` made there, not what the course ships, and the
# database dumps scripts/backup.sh writes (every user's data)
KEPT = {ENV_FILE, SIGN_IN_FILE, OVERRIDE_FILE}
KEPT_FOLDERS = ("backups/",)
# the backend's access line for the container's own healthcheck, every few seconds: not shown
HEALTHCHECK_LINE = '"path": "/health"'
# the first `up` builds both images and starts PostgreSQL for the first time
UP_SECONDS = 600


def product_dir() -> Path:
    return paths.state_dir() / "product"


def project_name(folder: Path) -> str:
    """tasks-<6 hex digits of the folder>: a second checkout of the course on the same engine
    gets a database volume of its own (the first one's was made with another password)."""
    return "tasks-" + hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:6]


def lay_out(course, root: Path, folder: Path) -> None:
    """Make `folder` hold exactly the last lesson's solution, plus what `up` keeps there."""
    tree = snapshot_tree(course, course.lessons[-1], root)
    if folder.is_symlink():
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders that hold them
        relative = path.relative_to(folder).as_posix()
        if relative in KEPT or relative in tree or relative.startswith(KEPT_FOLDERS):
            continue
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        else:
            path.unlink()
    write_tree(tree, folder)


def ensure_env(folder: Path) -> None:
    """The .env compose reads: made once from .env.example, then kept (the volume knows its password)."""
    env_file = folder / ENV_FILE
    if env_file.is_file():
        return
    example = folder / ENV_EXAMPLE
    values = containers.random_env(example.read_text(encoding="utf-8")) if example.is_file() else {}
    env_file.write_text("".join(f"{name}={value}\n" for name, value in values.items()), encoding="utf-8")
    env_file.chmod(0o600)


def first_sign_in(folder: Path) -> dict[str, str]:
    """The first account's email and password: made once, then the same on every `up`."""
    path = folder / SIGN_IN_FILE
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(known, dict) and known.get("email") and known.get("password"):
            return known
    except (OSError, ValueError):
        pass
    made = {"email": "you@tasks.example", "password": secrets.token_urlsafe(12)}
    path.write_text(json.dumps(made), encoding="utf-8")
    path.chmod(0o600)
    return made


def publish_on(folder: Path, services: dict, port: int) -> Path:
    """An override file: the service with a published port publishes it on 127.0.0.1:`port` only."""
    published = [name for name, service in services.items() if service.get("ports")]
    lines = ["services:\n"]
    for name in published:
        target = services[name]["ports"][0]["target"]
        lines.append(f"  {name}:\n    ports: !override\n      - \"127.0.0.1:{port}:{target}\"\n")
    override = folder / OVERRIDE_FILE
    override.write_text("".join(lines) if published else "{}\n", encoding="utf-8")
    return override


def compose_args(root: Path, folder: Path, override: Path | None = None) -> list[str]:
    files = ["--file", str(root / COMPOSE_FILE)] + (["--file", str(override)] if override else [])
    return ["compose", "--project-name", project_name(folder), "--project-directory", str(folder), *files]


def make_images(engine: containers.Engine, services: dict) -> None:
    """Build every image with a `build:` (tagged with its `image:` name); the others pulled or stand-ins."""
    built = set()
    for name, service in services.items():
        spec = service.get("build")
        if not spec:
            continue
        tag = service.get("image") or f"tasks-{name}"
        context = Path(spec["context"])
        dockerfile = context / spec.get("dockerfile", "Dockerfile")
        common.console.print(f"building the {name} image ({tag}) ...")
        done = engine.build(context, tag, "--file", str(dockerfile))
        if done.returncode != 0:
            common.fail(f"The {name} image did not build. Docker said:\n{(done.stdout + done.stderr).strip()[-1500:]}")
        built.add(tag)
    for name, service in services.items():
        image = service.get("image")
        if image and image not in built:
            try:
                standins.ensure(engine, image)
            except RuntimeError as why:
                common.fail(f"The {name} service's image {image} is not available: {why}")


def sign_up(url: str, account: dict[str, str]) -> str:
    """Create the first account; returns what to tell the learner about it."""
    try:
        answer = httpx.post(f"{url}/api/auth/register", json=account, timeout=30)
    except httpx.HTTPError as error:
        return f"(the first account could not be made: {error})"
    if answer.status_code in (200, 201):
        return "made now"
    if answer.status_code == 409:
        return "made by an earlier `up`; still yours unless you changed its password"
    return f"(the first account could not be made: {answer.status_code} {answer.text[:200]})"


def up(
    port: Annotated[int, typer.Option(help="The port of 127.0.0.1 the proxy publishes.")] = 8080,
) -> None:
    """Run the finished Tasks app (the root's docker-compose.yml) until Ctrl-C.

    Needs a Docker Engine: yours, or on Linux as root a private one (`shiplings doctor`).
    """
    course = common.course()
    root = common.root()
    if not port_is_free(port):
        common.fail(f"Port {port} of 127.0.0.1 is in use by another program. Stop it, or choose another port: "
                    f"shiplings up --port {port + 1}")
    folder = product_dir()
    lay_out(course, root, folder)
    ensure_env(folder)
    account = first_sign_in(folder)
    # SIGTERM as Ctrl-C: the stack comes down while the engine still answers. (Not lifeline's
    # handlers: they stop every child first, a private engine among them.)
    # SIGINT too: a shell's background job starts with it ignored
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, signal.default_int_handler)
    try:
        with containers.engine() as engine:
            resolved = engine.docker(*compose_args(root, folder), "config", "--format", "json", check=False,
                                     timeout=120)
            if resolved.returncode != 0:
                common.fail(f"docker compose could not read {COMPOSE_FILE}:\n{resolved.stderr.strip()[-1500:]}")
            model = json.loads(resolved.stdout)
            services = model["services"]
            busy = containers.release_subnets(engine, containers.fixed_subnets(model), project_name(folder))
            if busy:
                held = ", ".join(f"{network.name} (of the stack {network.project or 'without a name'}, "
                                 f"{network.containers} container(s))" for network in busy)
                stop = "; ".join(f"docker compose -p {network.project} down" for network in busy if network.project)
                common.fail(f"{COMPOSE_FILE} gives its network a fixed subnet "
                            f"({', '.join(containers.fixed_subnets(model))}), and another stack that is still "
                            f"running holds it: {held}. Stop that stack first"
                            + (f" ({stop})" if stop else "") + ", then run `shiplings up` again.")
            override = publish_on(folder, services, port)
            make_images(engine, services)
            command = compose_args(root, folder, override)
            common.console.print("starting the stack (docker compose up --wait) ...")
            started = time.monotonic()
            try:
                done = engine.docker(*command, "up", "--detach", "--wait", "--pull", "never",
                                     "--wait-timeout", str(UP_SECONDS), check=False, timeout=UP_SECONDS + 60)
                if done.returncode != 0:
                    common.fail(f"The stack did not come up healthy. Compose said:\n"
                                f"{(done.stdout + done.stderr).strip()[-2000:]}")
                url = f"http://127.0.0.1:{port}"
                said = sign_up(url, account)
                common.console.print(
                    f"\n[bold green]Tasks is up[/] at {url}/ (in {time.monotonic() - started:.0f} s)\n"
                    f"  sign in as [bold]{account['email']}[/] with password [bold]{account['password']}[/] ({said})\n"
                    f"  the code it runs: {folder}\n"
                    "Press Ctrl-C to stop it; the database keeps its data for the next `shiplings up`.\n",
                    soft_wrap=True,
                )
                # in a process group of its own: Ctrl-C reaches us, and we stop it
                logs = lifeline.spawn(["docker", *command, "logs", "--follow", "--tail", "0"], env=engine.env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
                try:
                    for line in logs.stdout:
                        if HEALTHCHECK_LINE not in line:
                            print(line, end="", flush=True)
                finally:
                    lifeline.stop(logs, grace=1)
            finally:
                common.console.print("stopping the stack ...")
                # every profile: Prometheus too, if it was started (`--profile monitoring up`)
                engine.docker(*command, "--profile", "*", "down", "--timeout", "10", check=False, timeout=300)
    except containers.EngineUnavailable as why:
        common.fail(str(why))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
