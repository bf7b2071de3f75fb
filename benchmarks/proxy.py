"""What the compose stack's nginx costs: the backend through the proxy against the backend directly.

    .venv/bin/python benchmarks/proxy.py [--seconds 4] [--rounds 5] [--connections 64]

Brings up the finished stack (the root's docker-compose.yml on the last lesson's solution, as
`shiplings up` does) under a project of its own, with one override: the proxy and, for this
measurement only, the backend published on free loopback ports, and its rate limit far above
the load (counted in Redis as always, never refusing). Then, in alternating rounds
(see serving.py's compare), the same backend route two ways:

- direct: the backend container's published port;
- proxy:  nginx, which strips /api and forwards to the backend;

for two routes: GET /health (the backend does next to nothing: what the hop itself costs) and
a signed-in GET /tasks (a token checked, a user and their tasks read from PostgreSQL: a
request of the app's own). Each round's ratio pairs two runs made back to back, and the
median of those ratios counts. The issue's bar: through the proxy within 10% of the backend
reached directly. Both go through Docker's port publishing (docker-proxy), so that part is
the same for both; the difference is nginx, which shares the machine's cores with the
backend and the load generator. The stack is taken down with its volumes at the end.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import httpx  # noqa: E402
from serving import compare_rounds, load_average, settle  # noqa: E402

from shiplings import containers  # noqa: E402
from shiplings.commands import up  # noqa: E402
from shiplings.manifest import load_course  # noqa: E402
from shiplings.net import free_port  # noqa: E402


def override(folder: Path, proxy_port: int, backend_port: int) -> Path:
    path = folder / "compose.bench.yaml"
    path.write_text(f"""services:
  proxy:
    ports: !override
      - "127.0.0.1:{proxy_port}:80"
  backend:
    ports:
      - "127.0.0.1:{backend_port}:8000"
    environment:
      # counted, never refused: a limit far above the load
      TASKS_RATE_LIMIT_DEFAULT: 1000000/minute
""")
    return path


def signed_in(url: str) -> dict[str, str]:
    """A user with a few tasks, signed in: the headers of a request of the app's own."""
    http = httpx.Client(base_url=url, timeout=30)
    account = {"email": "bench@tasks.example", "password": "correct horse battery staple"}
    http.post("/auth/register", json=account)
    answer = http.post("/auth/token", data={"username": account["email"], "password": account["password"]})
    answer.raise_for_status()
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    for number in range(5):
        http.post("/tasks", json={"title": f"task {number}"}, headers=headers).raise_for_status()
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4, help="length of one load run (default 4)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default 64)")
    options = parser.parse_args()
    started = time.perf_counter()
    course = load_course(REPO)
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as scratch:
        folder = Path(scratch) / "product"
        up.lay_out(course, REPO, folder)
        up.ensure_env(folder)
        proxy_port, backend_port = free_port(), free_port()
        with containers.engine() as engine:
            services = json.loads(engine.docker(*up.compose_args(REPO, folder), "config", "--format", "json")
                                  .stdout)["services"]
            up.make_images(engine, services)
            command = up.compose_args(REPO, folder, override(folder, proxy_port, backend_port))
            try:
                done = engine.docker(*command, "up", "--detach", "--wait", "--pull", "never", check=False,
                                     timeout=up.UP_SECONDS)
                if done.returncode != 0:
                    sys.exit(f"the stack did not come up:\n{(done.stdout + done.stderr)[-2000:]}")
                direct, proxied = f"http://127.0.0.1:{backend_port}", f"http://127.0.0.1:{proxy_port}/api"
                headers = signed_in(direct)
                settle([direct + "/health", proxied + "/health", direct + "/tasks", proxied + "/tasks"])
                print(f"the finished stack on Docker Engine {engine.version}, load average {load_average()}")
                ratios = {}
                for route, route_headers in (("/health", {}), ("/tasks", headers)):
                    rates = compare_rounds(f"GET {route} of the backend, reached directly and through nginx",
                                           {"direct": (direct + route, route_headers),
                                            "proxy": (proxied + route, route_headers)},
                                           options.rounds, options.connections, options.seconds)
                    paired = zip(rates["proxy"].rates, rates["direct"].rates, strict=True)
                    ratios[route] = (statistics.median(rates["direct"].rates), statistics.median(rates["proxy"].rates),
                                     statistics.median(proxy / direct for proxy, direct in paired))
            finally:
                engine.docker(*command, "down", "--volumes", "--timeout", "5", check=False, timeout=300)
    print(f"\nResults (median of {options.rounds} rounds; load average {load_average()})")
    for route, (direct_rate, proxy_rate, ratio) in ratios.items():
        print(f"  GET {route:8} direct {direct_rate:8,.0f} req/s   through nginx {proxy_rate:8,.0f} req/s   "
              f"-> {ratio:.0%} of direct (median of the rounds' ratios; the bar: >= 90%)")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
