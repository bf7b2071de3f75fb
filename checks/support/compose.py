"""Helpers for the compose lesson's checks: the learner's compose.yaml, read and run for real.

- `project_copy(workspace, folder)`: a copy of the workspace to run compose in, with a `.env`
  made from the learner's .env.example (every variable a fresh random value): the learner's
  own .env (their secrets) is never read, and the checks know every secret value there is.
- `resolve(folder)`: `docker compose config --format json`, the file as compose itself reads
  it (defaults filled in, ${...} replaced, paths absolute); needs no engine.
- what a check reads from that model: `published_ports`, `depends_on`, `literal_secrets` ...
- `for_this_run(model, ...)`: the same model made safe to run beside anything else on the
  engine: built images replaced by the check's tags, the proxy's port on a free loopback port,
  a subnet no other stack uses, every container labelled with the run that owns it.
- `prune_abandoned(engine)`: what an earlier run left behind because it was killed outright
  (on the learner's own engine; a private engine's containers die with it anyway).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from shiplings.containers import OWNER_LABEL, owner_is_gone, random_env
from support.docker import NOT_COPIED, SECRET_NAME

COMPOSE_FILE = "compose.yaml"
ENV_EXAMPLE = ".env.example"
# The six services and what each is for, in the words of the checks' messages.
SERVICES = {
    "proxy": "nginx, the one service with a published port",
    "frontend": "the frontend image",
    "backend": "the backend image, running gunicorn",
    "migrate": "the backend image running `alembic upgrade head` once",
    "db": "PostgreSQL (postgres:15)",
    "redis": "Redis (redis:7)",
}
PGDATA = "/var/lib/postgresql/data"
# What every container of a check run carries: the lesson, and the run that owns it.
CHECK_LABEL = "org.shiplings.check"
# A URL with a password in it: scheme://user:password@host
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")
# Restart policies that bring a crashed container back (a process killed ends with 137)
RESTARTING = re.compile(r"^(always|unless-stopped|on-failure(:[1-9]\d*)?)$")


def project_copy(workspace: Path, folder: Path) -> dict[str, str]:
    """Copy the workspace to `folder` with a .env made from its .env.example; returns that .env."""
    shutil.copytree(workspace, folder, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    example = folder / ENV_EXAMPLE
    env = random_env(example.read_text()) if example.is_file() else {}
    (folder / ".env").write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    return env


@dataclass
class Resolved:
    """What `docker compose config --format json` made of a project folder."""

    command: str
    returncode: int
    said: str  # its stderr
    model: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and bool(self.model)

    def require(self) -> dict:
        """The model; fails the check with compose's own words when compose refused the file."""
        assert self.ok, (
            f"`{self.command}` refused your compose.yaml (exit code {self.returncode}):\n{self.said.strip()[-1500:]}\n"
            "Run the same command in your workspace: it names the line or the setting that is wrong. A message about "
            "a variable that is not set means .env.example does not list it (the check makes its .env from that file)."
        )
        return self.model

    def services(self) -> dict[str, dict]:
        return self.require().get("services") or {}


def resolve(folder: Path, binary: Path | None, env_file: dict[str, str] | None = None,
            profiles: tuple[str, ...] = ()) -> Resolved:
    """`docker compose config --format json` in `folder` (no engine needed).

    The variables of `env_file` (the project's .env) are taken out of this process's
    environment, where they would win over the file. The services of `profiles` are in the
    model too, each with its `profiles:`, so a plain `up` of the model still leaves them out.
    """
    command = "docker compose config"
    if not (folder / COMPOSE_FILE).is_file():
        found = sorted(path.name for path in folder.glob("*compose*.y*ml"))
        said = f"There is no {COMPOSE_FILE} in your workspace" + (f" (there is {', '.join(found)})" if found else "")
        return Resolved(command, 1, said + ".")
    if binary is None:
        from shiplings.services import ServiceUnavailable

        raise ServiceUnavailable("compose")
    chosen = [word for profile in profiles for word in ("--profile", profile)]
    done = subprocess.run([str(binary), "-f", COMPOSE_FILE, *chosen, "config", "--format", "json"], cwd=folder,
                          capture_output=True, text=True, timeout=60, env=clean_env(env_file or {}))
    model = {}
    if done.returncode == 0:
        with contextlib.suppress(ValueError):
            model = json.loads(done.stdout)
    return Resolved(command, done.returncode, done.stderr, model)


def clean_env(env_file: dict[str, str], base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for compose without what would change how it reads the project.

    The learner's shell may name another file or project (COMPOSE_*), or set a variable
    that .env sets too: compose takes the shell's value first.
    """
    return {key: value for key, value in (os.environ if base is None else base).items()
            if not key.startswith("COMPOSE_") and key not in env_file}


def missing_services(services: dict[str, dict]) -> list[str]:
    return [name for name in SERVICES if name not in services]


def published_ports(services: dict[str, dict]) -> dict[str, list[str]]:
    """service -> the ports it publishes on the host (as host:container), for those that publish any."""
    found: dict[str, list[str]] = {}
    for name, service in services.items():
        ports = [f"{port.get('host_ip', '') + ':' if port.get('host_ip') else ''}{port.get('published') or 'any'}"
                 f":{port.get('target')}" for port in service.get("ports") or []]
        if service.get("network_mode") == "host":
            ports.append("every port (network_mode: host)")
        if ports:
            found[name] = ports
    return found


def depends_on(service: dict) -> dict[str, str]:
    """dependency -> the condition it waits for (service_started when none is written)."""
    return {name: (spec or {}).get("condition", "service_started")
            for name, spec in (service.get("depends_on") or {}).items()}


def healthcheck(service: dict) -> list[str]:
    """The healthcheck's test as a list ([] when there is none, or it is disabled)."""
    check = service.get("healthcheck") or {}
    if check.get("disable"):
        return []
    test = check.get("test") or []
    test = [test] if isinstance(test, str) else list(test)
    return [] if test[:1] == ["NONE"] else test


def environment(service: dict) -> dict[str, str]:
    return {key: "" if value is None else str(value) for key, value in (service.get("environment") or {}).items()}


def literal_secrets(services: dict[str, dict], from_env_file: dict[str, str]) -> list[str]:
    """Secrets written into compose.yaml itself: a secret-looking variable, or a URL's password,
    whose value is none of those the .env gave (so the file, not .env, holds it)."""
    given = {value for value in from_env_file.values() if value}
    found = []
    for name, service in services.items():
        for key, value in environment(service).items():
            password = URL_PASSWORD.search(value)
            if password and password.group(1) not in given:
                found.append(f"{name}: {key} holds a URL with a password in it")
            elif SECRET_NAME.search(key) and value and value not in given:
                found.append(f"{name}: {key}")
    return found


def workers(service: dict) -> str | None:
    """How many workers the backend starts, as the compose file says (WEB_CONCURRENCY or --workers/-w)."""
    command = service.get("command") or []
    command = command.split() if isinstance(command, str) else list(command)
    for index, word in enumerate(command):
        if word in ("--workers", "-w") and index + 1 < len(command):
            return command[index + 1]
        if word.startswith("--workers="):
            return word.split("=", 1)[1]
    return environment(service).get("WEB_CONCURRENCY")


def named_data_volume(service: dict, volumes: dict) -> tuple[bool, str]:
    """(PostgreSQL's data folder is in a named volume, what holds it instead)."""
    pgdata = environment(service).get("PGDATA", PGDATA)
    for mount in service.get("volumes") or []:
        target = mount.get("target", "").rstrip("/")
        if target and (pgdata == target or pgdata.startswith(target + "/")):
            if mount.get("type") == "volume" and mount.get("source") and mount["source"] in volumes:
                return True, f"the volume {mount['source']}"
            if mount.get("type") == "bind":
                return False, f"a folder of this machine ({mount.get('source')})"
            return False, "an anonymous volume, which a new container does not get back"
    return False, "no volume of its own (at most the image's anonymous one, which the next container does not get back)"


def proxy_config(services: dict[str, dict]) -> tuple[str, str]:
    """(the text of the nginx config file the proxy service mounts, its path); ("", "") when none."""
    for mount in (services.get("proxy") or {}).get("volumes") or []:
        source = Path(mount.get("source") or "")
        if mount.get("type") == "bind" and source.is_file() and source.suffix == ".conf":
            return source.read_text(), str(source)
    return "", ""


def restart_policy(service: dict) -> str:
    restart = service.get("restart") or ""
    deploy = ((service.get("deploy") or {}).get("restart_policy") or {}).get("condition") or ""
    return restart or {"any": "always", "on-failure": "on-failure"}.get(deploy, "")


def restarts(service: dict) -> bool:
    """Whether the service's restart policy brings it back after its process is killed."""
    return bool(RESTARTING.match(restart_policy(service)))


# --- the model, made to run beside anything else on the engine -------------------------------

def free_subnet(taken: list[str]) -> tuple[str, str]:
    """A /24 in 172.30.0.0/16 that overlaps none of `taken`; (its network, its 3-part prefix)."""
    used = [ipaddress.ip_network(net, strict=False) for net in taken]
    start = secrets.randbelow(254)  # a random start: two runs at once rarely try the same one first
    for step in range(254):
        candidate = ipaddress.ip_network(f"172.30.{(start + step) % 254 + 1}.0/24")
        if not any(candidate.overlaps(net) for net in used):
            return str(candidate), str(candidate.network_address).rsplit(".", 1)[0] + "."
    raise RuntimeError("no free /24 left in 172.30.0.0/16 on this engine")


def for_this_run(model: dict, images: dict[str, str], proxy_port: int, owner: str,
                 taken_subnets: list[str], lesson: str = "17_compose") -> dict:
    """The resolved model as the check runs it.

    - `images`: service -> the image the check built for it; a service that names the same
      image as a built one (migrate runs the backend's) gets that image too;
    - the proxy's published ports become one: 127.0.0.1:`proxy_port` -> its first target (a
      service in a profile publishes nothing);
    - a network with a fixed /24 moves to a free one (with every address in it: the proxy's
      fixed address and whatever trusts it), so that two runs never fight over a subnet, and
      networks and volumes are named after the run's project, not after the folder;
    - every service carries the check's labels (the lesson, and the run that owns it).
    """
    text = json.dumps(model)
    for network in (model.get("networks") or {}).values():
        for config in ((network or {}).get("ipam") or {}).get("config") or []:
            subnet = config.get("subnet", "")
            if subnet.endswith("/24") and "." in subnet:
                # never the file's own subnet either: `shiplings up` and the notebooks run it as it is
                _, prefix = free_subnet([*taken_subnets, subnet])
                text = text.replace(subnet.rsplit(".", 1)[0] + ".", prefix)
                taken_subnets = [*taken_subnets, prefix + "0/24"]
    model = json.loads(text)
    model.pop("name", None)
    # `config` names each network and volume after the folder it read ("project_default"): kept,
    # two stacks up at once (lesson 17's and lesson 18's checks in one run) would share them.
    # Without a name, compose names them after this run's project.
    for section in ("networks", "volumes"):
        for entry in (model.get(section) or {}).values():
            if entry and not entry.get("external"):
                entry.pop("name", None)
    renamed = {service.get("image"): images[name] for name, service in model["services"].items()
               if name in images and service.get("image")}
    for name, service in model["services"].items():
        if name in images:
            service.pop("build", None)
            service["image"] = images[name]
        elif service.get("image") in renamed:
            service["image"] = renamed[service["image"]]
        if service["image"].startswith("shiplings-checks/"):
            service["pull_policy"] = "never"
        labels = service.get("labels") or {}
        labels = dict(labels) if isinstance(labels, dict) else dict(item.split("=", 1) for item in labels)
        service["labels"] = {**labels, CHECK_LABEL: lesson, OWNER_LABEL: owner}
        service.pop("container_name", None)  # one name per engine: two runs could not both have it
        if service.get("profiles"):
            # started only when a check asks for it; what it publishes was judged on the learner's
            # model, and must not take the proxy's port here
            service.pop("ports", None)
        elif service.get("ports"):
            first = service["ports"][0]
            service["ports"] = [{"mode": "ingress", "host_ip": "127.0.0.1", "target": first.get("target"),
                                 "published": str(proxy_port), "protocol": "tcp"}]
    return model


def abandoned_projects(labels: list[tuple[str, str]]) -> list[str]:
    """The compose projects whose owner (a run on this machine) no longer exists.

    `labels`: (project, owner) of every container the checks started on the engine.
    """
    return sorted({project for project, who in labels if owner_is_gone(who)})


def prune_abandoned(engine) -> list[str]:
    """`down --volumes` every stack an earlier run of these checks left behind (killed outright)."""
    listed = engine.docker("ps", "--all", "--filter", f"label={CHECK_LABEL}", "--format",
                           f'{{{{.Label "com.docker.compose.project"}}}} {{{{.Label "{OWNER_LABEL}"}}}}',
                           check=False, timeout=60).stdout.split("\n")
    pairs = [tuple(line.split(" ", 1)) for line in listed if line.count(" ") == 1]
    projects = abandoned_projects(pairs)
    for project in projects:
        engine.compose("--project-name", project, "down", "--volumes", "--remove-orphans", "--timeout", "1",
                       check=False, timeout=300)
    return projects


def subnets_in_use(engine) -> list[str]:
    """Every subnet of the engine's networks."""
    names = engine.docker("network", "ls", "--quiet", check=False, timeout=60).stdout.split()
    if not names:
        return []
    found = engine.docker("network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", *names,
                          check=False, timeout=60).stdout
    return [subnet for subnet in found.split() if "." in subnet]
