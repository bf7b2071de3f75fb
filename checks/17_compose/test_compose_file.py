"""Lesson 17, read without an engine: compose.yaml as `docker compose config` understands it.

Every check here reads the model `docker compose config --format json` makes of a copy of
the workspace (with a .env of random secrets made from .env.example), so they run wherever
the course runs, JupyterHub pods and Binder included.
"""

from __future__ import annotations

from shiplings import containers
from support import compose, docker


def test_compose_file_is_valid(project, resolved):
    folder, _ = project
    checked = containers.compose_config_check(folder / compose.COMPOSE_FILE) \
        if (folder / compose.COMPOSE_FILE).is_file() else None
    assert checked is None or checked.returncode == 0, (
        f"`docker compose config -q` refused your compose.yaml:\n{checked.stderr.strip()[-1500:]}\n"
        "Run it in your workspace: it names the line or the setting that is wrong."
    )
    services = resolved.services()
    missing = compose.missing_services(services)
    assert not missing, (
        f"compose.yaml is valid, but it has no service named {', '.join(missing)} (it has "
        f"{', '.join(sorted(services)) or 'none'}). The stack is six services, named so that the others can reach "
        "them: " + "; ".join(f"{name} ({what})" for name, what in compose.SERVICES.items()) + "."
    )


def test_only_the_proxy_publishes_a_port(resolved):
    published = compose.published_ports(resolved.services())
    others = {name: ports for name, ports in published.items() if name != "proxy"}
    assert not others, (
        "Only the proxy should publish a port; "
        + "; ".join(f"{name} publishes {', '.join(ports)}" for name, ports in others.items())
        + ". A published port is open to whatever can reach this machine: a database or a Redis there is one "
        "password (or none) away from everyone. The services reach each other on the stack's own network by "
        "name (db:5432, redis:6379, backend:8000) without any `ports:`; remove those lines."
    )
    assert published.get("proxy"), (
        "The proxy publishes no port, so nothing outside the stack can reach the app. Give it `ports: "
        "[\"8080:80\"]` (the browser then opens http://localhost:8080)."
    )


def test_services_wait_for_what_they_need(resolved, project):
    services = resolved.services()
    wanted = {
        "backend": {"db": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"},
        "migrate": {"db": "service_healthy"},
        "proxy": {"backend": "service_healthy"},
    }
    wrong = []
    for name, needs in wanted.items():
        has = compose.depends_on(services.get(name) or {})
        for dependency, condition in needs.items():
            if has.get(dependency) != condition:
                said = f"condition: {has[dependency]}" if dependency in has else "nothing"
                wrong.append(f"{name} on {dependency}: condition: {condition} (it has {said}"
                             + ("" if name in services else f"; there is no {name} service yet") + ")")
    assert not wrong, (
        "A container that starts is not a service that answers: depends_on without a condition only orders "
        "the starts, and waits for nothing. These should wait: " + "; ".join(wrong) + ". Write each as "
        "`depends_on: {db: {condition: service_healthy}}`, and the migrations as "
        "`migrate: {condition: service_completed_successfully}`."
    )
    missing_checks = [name for name in ("db", "redis") if not compose.healthcheck(services[name])]
    assert not missing_checks, (
        f"{' and '.join(missing_checks)} {'has' if len(missing_checks) == 1 else 'have'} no healthcheck, so "
        "`condition: service_healthy` has nothing to wait for: PostgreSQL takes seconds to accept connections "
        "after its container starts, and a backend started meanwhile crashes. Give db a healthcheck that runs "
        "pg_isready (over TCP: -h 127.0.0.1) and redis one that runs redis-cli ping."
    )
    db_probe = " ".join(compose.healthcheck(services["db"]))
    assert "pg_isready" in db_probe or "psql" in db_probe, (
        f"db's healthcheck runs `{db_probe}`; PostgreSQL's own probe is pg_isready (-h 127.0.0.1 -U <user>)."
    )
    folder, _ = project
    image_probe = [args for instruction, args in docker.final_stage(folder / "Dockerfile")
                   if instruction == "HEALTHCHECK"] if (folder / "Dockerfile").is_file() else []
    assert compose.healthcheck(services["backend"]) or (image_probe and image_probe[-1].upper() != "NONE"), (
        "The backend has no healthcheck (neither in compose.yaml nor in its Dockerfile), so the proxy cannot wait "
        "until it answers. Lesson 16's image declares one; compose.yaml may set its own interval."
    )


def test_no_secret_in_the_compose_file(resolved, project):
    folder, env_file = project
    assert (folder / compose.ENV_EXAMPLE).is_file() and env_file, (
        "There is no .env.example listing the secrets the stack needs (VARIABLE=placeholder, one a line). It is "
        "what gets committed: a colleague copies it to .env and fills in real values."
    )
    literal = compose.literal_secrets(resolved.services(), env_file)
    assert not literal, (
        "compose.yaml holds secrets itself: " + "; ".join(literal) + ". This file is committed, so everyone who "
        "can read the repository can read them. Write ${POSTGRES_PASSWORD} (and ${TASKS_SECRET_KEY}) instead: "
        "compose fills them in from .env, which stays on the machine; list each variable in .env.example."
    )
    ignored = {name: (folder / name).read_text().split() if (folder / name).is_file() else []
               for name in (".gitignore", ".dockerignore")}
    missing = [name for name, patterns in ignored.items() if not {".env", "/.env", "*.env"} & set(patterns)]
    assert not missing, (
        f".env, which holds the real secrets, is not listed in {' and '.join(missing)}: "
        + " and ".join({".gitignore": "git would offer to commit it", ".dockerignore": "`docker build .` would send "
                        "it to the engine, where a COPY can put it in a layer"}[name] for name in missing)
        + f". Add a line `.env` to {' and '.join(missing)} in your workspace."
    )


def test_database_keeps_its_data_in_a_named_volume(resolved):
    model = resolved.require()
    named, instead = compose.named_data_volume(resolved.services().get("db") or {}, model.get("volumes") or {})
    assert named, (
        f"PostgreSQL keeps its data ({compose.PGDATA}) in {instead}: `docker compose down` (or a new image) and "
        "every task is gone. Mount a named volume there (volumes: [\"db-data:/var/lib/postgresql/data\"] on the db "
        "service, and `db-data:` under a top-level `volumes:`); it outlives the container, and only "
        "`docker compose down --volumes` deletes it."
    )


def test_backend_runs_two_workers_sharing_redis(resolved):
    services = resolved.services()
    backend = services.get("backend") or {}
    count = compose.workers(backend)
    assert count == "2", (
        "The backend should run 2 gunicorn workers; compose.yaml "
        + (f"asks for {count}" if count else "does not say, so gunicorn.conf.py starts one per core of whatever "
           "machine runs it")
        + ". Set WEB_CONCURRENCY: \"2\" in the backend's environment (gunicorn.conf.py reads it)."
    )
    env = compose.environment(backend)
    storage = env.get("TASKS_RATE_LIMIT_STORAGE_URI", "memory://")
    assert storage.startswith("redis://") and "redis" in storage.split("://", 1)[1].split("/")[0], (
        f"With 2 workers, the backend counts its rate limits in {storage}: each worker counts on its own, so a "
        "client gets twice the sign-in attempts it should. Point TASKS_RATE_LIMIT_STORAGE_URI at the redis "
        "service, which both workers share: redis://redis:6379/0."
    )

