"""Helpers for the container lessons' checks: the learner's Dockerfiles built and run for real.

The engine comes from shiplings.containers (the learner's own, or a private dockerd that
dies with the run, with its containers); base images from shiplings.standins. Here:

- `build_context(workspace, folder)` copies the learner's workspace into a scratch build
  context and plants what .dockerignore must keep out: a .env holding FAKE_SECRET, a .git/,
  a .venv/, a node_modules/. The learner's workspace is never touched.
- `build(engine, context, name)` runs `docker build` once and keeps what it said (`Built`);
  `Built.require()` fails a check with the build's own last lines when it did not build.
- `run(engine, image, port)` runs a container with its port published on a free loopback
  port and waits until it answers (`Running`); the container is removed at the end, and
  dies with the engine if the run is killed outright.
- what a check reads from an image or a container: `pid1`, `stop`, `files_holding`,
  `context_listing`, `install_steps_rerun`, `added_size`.

Images are tagged shiplings-checks/NAME:HASH (HASH: the files that decide the layers the
dependencies live in), so the next run finds the layer cache it left, as the learner's own
`docker build` would.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import secrets
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

# Planted in the build context's .env: found in an image, it proves the image carries the file.
FAKE_SECRET = "shiplings-fake-secret-9f2c41d7e8b3a6c5"
# What the copy of the workspace leaves out: tools' output and caches, which make every build
# context differ (and the learner's real .env, whose place the planted one takes).
NOT_COPIED = ("node_modules", "dist", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv", ".git", ".shiplings",
              "*.pyc", "*.db", "*.db-journal", ".env")
# What .dockerignore must keep out of a build context: planted in every context the checks build.
PLANTED = {
    ".env": f"TASKS_SECRET_KEY={FAKE_SECRET}\n",
    ".git/config": "[core]\n\tbare = false\n",
    ".venv/pyvenv.cfg": "home = /usr/bin\n",
    "frontend/node_modules/left-pad/index.js": "module.exports = (s) => s;\n",
}
# What frontend/.dockerignore must keep out: installed for this machine, or built from the rest.
FRONTEND_PLANTED = {
    "node_modules/left-pad/index.js": "module.exports = (s) => s;\n",
    "dist/stale-build.js": "console.log('an old build');\n",
}
# Variable names that hold a secret: never in an image's ENV, nor set by an ARG.
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|_KEY\b)", re.IGNORECASE)
# A RUN step that installs Python or Node dependencies.
INSTALL_STEP = re.compile(r"\b(pip3?|uv|poetry|pdm|npm|yarn|pnpm)\b.*\b(install|sync|ci)\b|requirements", re.I)


def planted_copy(source: Path, folder: Path, planted: dict[str, str]) -> Path:
    """A copy of source as a build context, with files .dockerignore must keep out planted in it."""
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    for name, text in planted.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def build_context(workspace: Path, folder: Path) -> Path:
    """A copy of the workspace as a build context, with the paths .dockerignore must keep out planted in it."""
    return planted_copy(workspace, folder, PLANTED)


def frontend_context(frontend: Path, folder: Path) -> Path:
    """A copy of the workspace's frontend/ as a build context, with a node_modules/ and a dist/ planted in it."""
    return planted_copy(frontend, folder, FRONTEND_PLANTED)


def cache_key(*files: Path) -> str:
    """A short hash of these files' content (a missing file counts as empty)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes() if path.is_file() else b"")
        digest.update(b"\0")
    return digest.hexdigest()[:12]


@dataclass
class Built:
    """What one `docker build` did."""

    name: str  # what the checks call the image: "the backend image"
    command: str  # the command the learner would type
    returncode: int
    output: str
    seconds: float
    image: str = ""  # the image id, when it built

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and bool(self.image)

    def require(self) -> str:
        """The image id; fails the check with the build's last lines when there is none."""
        lines = "\n".join(self.output.strip().splitlines()[-15:])
        assert self.ok, (
            f"{self.name} did not build: `{self.command}` ended with exit code {self.returncode}. "
            f"Its last lines:\n{lines}\nRun the same command in your workspace, fix the step it names, and check again."
        )
        return self.image


def build(engine, context: Path, name: str, tag: str, command: str = "docker build .",
          timeout: float = 1800) -> Built:
    """`docker build` of a context, never raising: a build that fails is the learner's to read."""
    dockerfile = context / "Dockerfile"
    if not dockerfile.is_file():
        return Built(name, command, 1, f"There is no Dockerfile where `{command}` looks for it.", 0.0)
    started = time.monotonic()
    # the id of this build, not of what the tag names when asked: another run on the same
    # engine may build other code under the same tag in between
    built_id = context.parent / f"{context.name}.{secrets.token_hex(4)}.iid"
    try:
        done = engine.build(context, tag, "--iidfile", str(built_id), "--file", str(dockerfile), timeout=timeout)
        output, returncode = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired:
        output, returncode = f"the build did not finish within {timeout:.0f} s", 124
    except RuntimeError as error:  # a base image that is neither pulled nor a stand-in
        output, returncode = str(error), 1
    seconds = time.monotonic() - started
    image = ""
    if returncode == 0:
        with contextlib.suppress(OSError):
            image = built_id.read_text().strip()
    built_id.unlink(missing_ok=True)
    return Built(name, command, returncode, output, seconds, image)


def installs(step: str) -> bool:
    """Whether a build step (its instruction) installs dependencies: a RUN with pip install, npm ci ..."""
    return step.upper().startswith("RUN") and bool(INSTALL_STEP.search(step))


def steps(output: str) -> list[tuple[str, bool]]:
    """The steps of a classic `docker build`'s output: (instruction, taken from the cache)."""
    found: list[tuple[str, bool]] = []
    for line in output.splitlines():
        if match := re.match(r"Step \d+/\d+ : (.*)", line):
            found.append((match.group(1), False))
        elif found and line.strip() == "---> Using cache":
            found[-1] = (found[-1][0], True)
    return found


def install_steps_rerun(engine, context: Path, dockerfile: Path, timeout: float = 1800) -> tuple[list[str], str]:
    """Build again after a change to code only; the install steps that ran again, and the output.

    The build stops as soon as an install step runs instead of coming from the cache: that
    is the answer, and waiting minutes for the dependencies again would add nothing.
    """
    process = subprocess.Popen(["docker", "build", "--file", str(dockerfile), str(context)], env=engine.env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    rerun: list[str] = []
    current = ""
    deadline = time.monotonic() + timeout
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if match := re.match(r"Step \d+/\d+ : (.*)", line):
                current = match.group(1).strip()
            elif line.strip().startswith("---> Running in") and installs(current):
                rerun.append(current)
                break
            if time.monotonic() > deadline:
                break
    finally:
        process.kill()
        process.wait()
    return rerun, "\n".join(lines)


@dataclass
class Running:
    """A container of the check, with its port published on 127.0.0.1."""

    container: str
    url: str
    answered: bool  # GET /health answered 200 from outside
    waited: float
    said: str = ""  # what GET /health got instead

    def logs(self, engine, lines: int = 12) -> str:
        done = engine.docker("logs", "--tail", str(lines), self.container, check=False, timeout=60)
        return (done.stdout + done.stderr).strip()


@contextlib.contextmanager
def run(engine, image: str, port: int, *args: str, path: str = "/health", wait: float = 30) -> Iterator[Running]:
    """A container of `image` for the block, waited for until GET `path` answers 200 (at most `wait` s)."""
    with engine.published(image, port, *args) as (container, url):
        started = time.monotonic()
        said = ""
        answered = False
        while time.monotonic() - started < wait:
            try:
                answer = httpx.get(url + path, timeout=2)
                answered = answer.status_code == 200
                said = f"{answer.status_code} {answer.text[:200]}"
                if answered:
                    break
            except httpx.TransportError as error:
                said = f"no answer ({type(error).__name__})"
            state = engine.docker("inspect", "--format", "{{.State.Status}}", container, check=False).stdout.strip()
            if state not in ("running", "created"):
                said = f"the container stopped ({state})"
                break
            time.sleep(0.3)
        yield Running(container, url, answered, time.monotonic() - started, said)


def pid1(engine, container: str) -> tuple[int | None, str]:
    """The user id and the command line of PID 1 in a running container."""
    status = engine.docker("exec", container, "cat", "/proc/1/status", check=False, timeout=60).stdout
    uid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("Uid:")), None)
    cmdline = engine.docker("exec", container, "cat", "/proc/1/cmdline", check=False, timeout=60).stdout
    return uid, " ".join(part for part in cmdline.split("\0") if part)


def state(engine, container: str) -> dict:
    """The container's State (Running, ExitCode, OOMKilled, Health ...)."""
    return json.loads(engine.docker("inspect", "--format", "{{json .State}}", container, timeout=60).stdout)


def stop(engine, container: str, grace: float) -> tuple[float, int, bool]:
    """`docker stop --time GRACE`: (seconds it took, exit code, killed after the grace)."""
    started = time.monotonic()
    engine.docker("stop", "--time", str(max(1, round(grace))), container, timeout=grace + 60)
    seconds = time.monotonic() - started
    ended = state(engine, container)
    return seconds, ended["ExitCode"], ended["ExitCode"] == 137 and not ended.get("OOMKilled")


def inspect(engine, image: str) -> dict:
    return json.loads(engine.docker("image", "inspect", image, timeout=60).stdout)[0]


def history(engine, image: str) -> list[str]:
    """The instructions that made each layer, newest first, untruncated."""
    return engine.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image, timeout=60).stdout.splitlines()


def final_base(dockerfile: Path) -> str:
    """The image the last stage of a Dockerfile starts FROM, followed through its own stages."""
    stages: dict[str, str] = {}
    base = ""
    for line in dockerfile.read_text().splitlines():
        words = [word for word in line.split() if not word.startswith("--")]
        if len(words) >= 2 and words[0].upper() == "FROM":
            base = stages.get(words[1].lower(), words[1])
            if len(words) >= 4 and words[2].upper() == "AS":
                stages[words[3].lower()] = base
    return base


def added_size(engine, image: str, base: str) -> tuple[int, int]:
    """(bytes the Dockerfile added on top of its final base, bytes of the whole image)."""
    size = inspect(engine, image)["Size"]
    found = engine.docker("image", "inspect", "--format", "{{.Size}}", base, check=False, timeout=60)
    base_size = int(found.stdout.strip()) if found.returncode == 0 else 0
    return size - base_size, size


def files_holding(engine, image: str, needle: str, base: str = "") -> list[tuple[str, str]]:
    """(path, the instruction that made its layer) of every file in the image whose content holds `needle`.

    Reads `docker save`; the layers of `base` (the image the last stage starts FROM) are
    skipped, since nothing of the learner's is in them.
    """
    skip: set[str] = set()
    if base:
        found = engine.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", base, check=False)
        skip = set(json.loads(found.stdout)) if found.returncode == 0 else set()
    wanted = needle.encode()
    holding: list[tuple[str, str]] = []  # (path, the layer's diff id)
    config: dict = {}
    saved = subprocess.Popen(["docker", "save", image], env=engine.env, stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=saved.stdout, mode="r|") as archive:
            for member in archive:
                if member.name.endswith(".json") and "/" not in member.name and member.name != "manifest.json":
                    config = json.loads(archive.extractfile(member).read())
                if not member.name.endswith("/layer.tar"):
                    continue
                data = archive.extractfile(member).read()
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                if digest in skip:
                    continue
                with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                    for entry in layer:
                        if entry.isfile() and wanted in layer.extractfile(entry).read():
                            holding.append((entry.name, digest))
    finally:
        saved.stdout.close()
        saved.wait()
    # the image's history, without its empty steps (ENV, CMD ...), lists the layers in order
    made = [step.get("created_by", "") for step in config.get("history", []) if not step.get("empty_layer")]
    instruction = dict(zip(config.get("rootfs", {}).get("diff_ids", []), made, strict=False))
    return [(path, _short(instruction.get(digest, "a layer"))) for path, digest in holding]


def _short(created_by: str) -> str:
    text = created_by.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").strip()
    text = re.sub(r"\b(file|dir|multi):[0-9a-f]{64}", "...", text)  # COPY dir:<hash of the files> in .
    text = re.sub(r"\s+", " ", text)
    return text if len(text) < 100 else text[:97] + "..."


def secret_instructions(dockerfile: Path) -> list[str]:
    """ENV and ARG instructions of a Dockerfile that give a secret-looking name a value."""
    found = []
    text = re.sub(r"\\\n", " ", dockerfile.read_text()) if dockerfile.is_file() else ""
    for line in text.splitlines():
        words = line.split(None, 1)
        if len(words) < 2 or words[0].upper() not in ("ENV", "ARG"):
            continue
        pairs = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+)(\S+)", words[1])
        if words[0].upper() == "ARG":  # a build argument's value lands in the history of every RUN after it
            pairs = [(name, "given at build time") for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)", words[1])[:1]]
        found += [f"{words[0].upper()} {name}" for name, value in pairs if SECRET_NAME.search(name) and value]
    return found


def secret_settings(engine, image: str, base: str = "") -> list[str]:
    """ENV variables, and ARG/ENV steps of the history, that give a secret-looking name a value.

    What the base image brings is not the learner's (the official python image sets GPG_KEY).
    """
    inherited: set[str] = set()
    base_steps = 0
    if base and engine.docker("image", "inspect", base, check=False, timeout=60).returncode == 0:
        inherited = set(inspect(engine, base)["Config"].get("Env") or [])
        base_steps = len(history(engine, base))
    found = []
    for variable in inspect(engine, image)["Config"].get("Env") or []:
        name, _, value = variable.partition("=")
        if SECRET_NAME.search(name) and value and variable not in inherited:
            found.append(f"ENV {name}=... (in the image's configuration)")
    steps = history(engine, image)
    for step in steps[: len(steps) - base_steps]:
        # an ARG used by a RUN shows up as `|1 NAME=value /bin/sh -c ...` in the history
        for name, value in re.findall(r"(?:^\|\d+ |\s)([A-Za-z_][A-Za-z0-9_]*)=(\S+)", step):
            if SECRET_NAME.search(name) and value:
                found.append(f"{name}=... in the build step `{_short(step)}`")
    return sorted(set(found))


def context_listing(engine, context: Path) -> set[str]:
    """The paths `docker build` sends from this context (after its .dockerignore): for real, by a probe build."""
    from shiplings import standins

    standins.ensure(engine, "debian:bookworm-slim")
    probe = context.parent / f".context-probe-{secrets.token_hex(4)}"
    probe.mkdir()
    try:
        (probe / "Dockerfile").write_text("FROM debian:bookworm-slim\nCOPY . /context\n")
        tag = f"shiplings-checks/context-probe:{secrets.token_hex(4)}"
        engine.docker("build", "--quiet", "--tag", tag, "--file", str(probe / "Dockerfile"), str(context),
                      timeout=600)
        try:
            listed = engine.docker("run", "--rm", "--entrypoint", "find", tag, "/context", "-mindepth", "1",
                                   timeout=120).stdout
        finally:
            engine.docker("rmi", "--force", tag, check=False, timeout=120)
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return {line.removeprefix("/context/") for line in listed.splitlines() if line.strip()}


# What .dockerignore must keep out of the backend's build context: a name, and a pattern of
# the paths (with a leading /) that give it away.
MUST_IGNORE = {
    ".env": r"/\.env$",
    ".git": r"/\.git(/|$)",
    ".venv": r"/\.venv(/|$)",
    "node_modules": r"/node_modules(/|$)",
    "tests": r"^/tests(/|$)",
    "e2e (the browser tests)": r"^/e2e(/|$)",
    "frontend (it has an image of its own)": r"^/frontend(/|$)",
}


def wait_for_health(engine, container: str, seconds: float) -> dict:
    """The container's health (State.Health) once it is healthy or unhealthy, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = engine.docker("inspect", "--format", "{{json .State.Health}}", container, check=False, timeout=60)
        health = json.loads(found.stdout or "null") or {"Status": "none", "Log": []}
        if health["Status"] in ("healthy", "unhealthy") or time.monotonic() > deadline:
            return health
        time.sleep(0.5)


def last_probe(health: dict) -> str:
    """What the last health probe printed (and its exit code)."""
    log = health.get("Log") or []
    if not log:
        return "no probe ran yet"
    last = log[-1]
    return f"exit code {last.get('ExitCode')}: {(last.get('Output') or '').strip()[-300:]}"


def lint(dockerfile: Path) -> subprocess.CompletedProcess:
    """hadolint at the warning threshold, run where the Dockerfile is (its findings name it by its own name)."""
    from shiplings import services, tools

    binary = tools.find("hadolint")
    if binary is None:
        raise services.ServiceUnavailable("hadolint")
    return subprocess.run([binary, "--no-color", "--failure-threshold", "warning", dockerfile.name],
                          capture_output=True, text=True, timeout=60, cwd=dockerfile.parent)


# --- what a Dockerfile's text already says (no engine needed) ---------------------------------

def instructions(dockerfile: Path) -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, its arguments), continuation lines joined."""
    text = re.sub(r"\\[ \t]*\n", " ", dockerfile.read_text()) if dockerfile.is_file() else ""
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        instruction, arguments = words[0].upper(), (words[1] if len(words) > 1 else "").strip()
        if instruction == "FROM" or not stages:
            stages.append([])
        stages[-1].append((instruction, arguments))
    return stages


def final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    """The instructions the last stage runs with: its own, after those of the stages it starts FROM."""
    stages = instructions(dockerfile)
    named: dict[str, list[tuple[str, str]]] = {}
    chain: list[tuple[str, str]] = []
    for stage in stages:
        words = [word for word in (stage[0][1].split() if stage and stage[0][0] == "FROM" else [])
                 if not word.startswith("--")]
        chain = named.get(words[0].lower(), []) + stage if words else stage
        if len(words) >= 3 and words[1].upper() == "AS":
            named[words[2].lower()] = chain
    return chain


def user_of(dockerfile: Path) -> str | None:
    """The USER the last stage ends with (None: never set, so root)."""
    users = [arguments for instruction, arguments in final_stage(dockerfile) if instruction == "USER"]
    return users[-1] if users else None


def is_root(user: str | None) -> bool:
    return user is None or user.split(":")[0].strip() in ("root", "0")


def main_process(dockerfile: Path) -> tuple[str, list[str] | str] | None:
    """What PID 1 runs: ("exec", argv) or ("shell", command text), from ENTRYPOINT, else CMD; None if neither."""
    last: dict[str, str] = {}
    for instruction, arguments in final_stage(dockerfile):
        if instruction in ("CMD", "ENTRYPOINT"):
            last[instruction] = arguments
    arguments = last.get("ENTRYPOINT") or last.get("CMD")
    if arguments is None:
        return None
    try:
        argv = json.loads(arguments)
    except ValueError:
        return "shell", arguments
    return ("exec", argv) if isinstance(argv, list) else ("shell", arguments)


def shell_as_pid1(dockerfile: Path) -> str | None:
    """The command, when a shell would be PID 1 (shell form, or sh -c) without exec-ing the server; else None."""
    found = main_process(dockerfile)
    if found is None:
        return None
    form, command = found
    if form == "shell":
        return None if str(command).startswith("exec ") else f"/bin/sh -c {command}"
    if len(command) >= 3 and Path(command[0]).name in ("sh", "bash", "dash") and command[1] == "-c" \
            and not command[2].lstrip().startswith("exec "):
        return " ".join(command)
    return None


def copy_before_install(dockerfile: Path) -> str | None:
    """A COPY/ADD of the whole context that comes before a dependency install in the same stage, or None."""
    for stage in instructions(dockerfile):
        copied_all = None
        for instruction, arguments in stage:
            sources = [word for word in arguments.split() if not word.startswith("--")][:-1]
            if instruction in ("COPY", "ADD") and any(source in (".", "./", "*") for source in sources):
                copied_all = f"{instruction} {arguments}"
            if instruction == "RUN" and copied_all and installs(f"RUN {arguments}"):
                return copied_all
    return None
