"""Prometheus alert rules, tested with the real promtool on traffic the checks make up (lesson 18).

A learner's rules are judged by what they do, not by how they are written: the checks write
`promtool test rules` files of their own, each one scenario of made-up scrapes of the metrics
the app exports (prometheus-fastapi-instrumentator's http_requests_total and
http_request_duration_seconds, lesson 10), and ask Prometheus' own rule engine which alerts
fire when.

- `promtool()`: the binary, or ServiceUnavailable("promtool") (the check "cannot run")
- `scrape_job(config)`: the job name prometheus.yml gives the backend's target
- `Traffic`: made-up traffic, phase by phase (normal, a burst of 5xx, slow answers)
- `firing(...)`: does an alert fire at a given minute of a scenario, as promtool evaluates it
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from shiplings import tools
from shiplings.services import ServiceUnavailable

# how often the made-up scrapes happen (prometheus.yml's scrape_interval in the solution)
SCRAPE_SECONDS = 15
# the buckets the app's histograms have (prometheus-fastapi-instrumentator's defaults)
BUCKETS = (0.1, 0.5, 1.0)
HIGHR_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
                 7.5, 10.0, 30.0, 60.0)
BACKEND_TARGET = "backend:8000"


def promtool() -> str:
    path = tools.find("promtool")
    if path is None:
        raise ServiceUnavailable("promtool")
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def load(path: Path) -> dict:
    """A YAML file as a dict ({} when it is not one)."""
    try:
        found = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return found if isinstance(found, dict) else {}


def scrape_jobs(config: dict) -> dict[str, dict]:
    """job name -> its scrape config, for the jobs whose static targets include the backend."""
    found = {}
    for job in config.get("scrape_configs") or []:
        targets = [target for static in (job or {}).get("static_configs") or []
                   for target in (static or {}).get("targets") or []]
        if BACKEND_TARGET in targets:
            found[job.get("job_name", "")] = job
    return found


def alert_rules(rules: dict) -> dict[str, dict]:
    """alert name -> its rule, over every group."""
    return {rule["alert"]: rule for group in rules.get("groups") or [] for rule in (group or {}).get("rules") or []
            if isinstance(rule, dict) and rule.get("alert")}


@dataclass
class Phase:
    """`minutes` of traffic: requests per second answered 2xx, 4xx and 5xx, and how fast.

    latency: the share of requests answered within each of BUCKETS (cumulative, as a histogram's
    buckets are); the rest took longer than the last one (2 s, say).
    """

    minutes: int
    ok: float = 20.0
    client_errors: float = 1.5
    server_errors: float = 0.06
    latency: tuple[float, ...] = (0.97, 0.995, 1.0)


# a seconds-long answer for 1 request in 5: what a missing index or a slow upstream looks like
SLOW = (0.5, 0.7, 0.8)
# where a request's time falls when the finer histogram is read (within the coarse bucket's range)
SLOW_SECONDS = 2.0


@dataclass
class Traffic:
    """Made-up scrapes of the backend's metrics, phase after phase, every SCRAPE_SECONDS."""

    job: str
    phases: list[Phase] = field(default_factory=list)

    def series(self) -> list[dict[str, str]]:
        """promtool's input_series: every counter the app exports, and `up`."""
        base = f'job="{self.job}",instance="{BACKEND_TARGET}"'
        steps = [round(phase.minutes * 60 / SCRAPE_SECONDS) for phase in self.phases]
        found = [{"series": f"up{{{base}}}", "values": f"1x{sum(steps)}"}]

        def counter(name: str, per_second) -> None:
            grows = [(per_second(phase) * SCRAPE_SECONDS, n) for phase, n in zip(self.phases, steps, strict=True)]
            found.append({"series": name, "values": values(grows)})

        route = f'{base},handler="/tasks",method="GET"'
        for status, rate in (("2xx", lambda p: p.ok), ("4xx", lambda p: p.client_errors),
                             ("5xx", lambda p: p.server_errors)):
            counter(f'http_requests_total{{{route},status="{status}"}}', rate)

        def total(phase: Phase) -> float:
            return phase.ok + phase.client_errors + phase.server_errors

        def within(phase: Phase, limit: float) -> float:
            """The share of requests answered within `limit` seconds."""
            shares = dict(zip(BUCKETS, phase.latency, strict=True))
            below = [share for bucket, share in shares.items() if bucket <= limit]
            if limit >= SLOW_SECONDS:
                return 1.0
            return max(below) if below else phase.latency[0] * limit / BUCKETS[0]

        for le in (*BUCKETS, "+Inf"):
            counter(f'http_request_duration_seconds_bucket{{{route},le="{le}"}}',
                    lambda p, le=le: total(p) * (1.0 if le == "+Inf" else within(p, le)))
        counter(f"http_request_duration_seconds_count{{{route}}}", total)
        counter(f"http_request_duration_seconds_sum{{{route}}}", lambda p: total(p) * mean_seconds(p))
        for le in (*HIGHR_BUCKETS, "+Inf"):
            counter(f'http_request_duration_highr_seconds_bucket{{{base},le="{le}"}}',
                    lambda p, le=le: total(p) * (1.0 if le == "+Inf" else within(p, le)))
        counter(f"http_request_duration_highr_seconds_count{{{base}}}", total)
        counter(f"http_request_duration_highr_seconds_sum{{{base}}}", lambda p: total(p) * mean_seconds(p))
        return found

    @property
    def minutes(self) -> int:
        return sum(phase.minutes for phase in self.phases)


def mean_seconds(phase: Phase) -> float:
    """The mean answer time of a phase, from its buckets (each bucket's requests at its upper bound)."""
    shares = [phase.latency[0], *(b - a for a, b in zip(phase.latency, phase.latency[1:], strict=False))]
    within = sum(share * bucket for share, bucket in zip(shares, BUCKETS, strict=True))
    return within + (1 - phase.latency[-1]) * SLOW_SECONDS


def values(increments: list[tuple[float, int]]) -> str:
    """promtool's expanding notation for a counter that grows by `per_step` for `steps` scrapes, phase after phase."""
    parts, current = ["0"], 0.0
    for per_step, steps in increments:
        if steps <= 0:
            continue
        per_step = round(per_step, 3)
        parts.append(f"{round(current + per_step, 3):.15g}+{per_step:.15g}x{steps - 1}")
        current += per_step * steps
    return " ".join(parts)


FIRING = '(count(ALERTS{{alertstate="firing"{name}}}) > bool 0) or vector(0)'


def firing(folder: Path, rules_file: Path, traffic: Traffic, expected: dict[int, bool],
           alert: str | None = None) -> tuple[dict[int, bool], str]:
    """Whether `alert` (any alert, when None) fires at each of the minutes of `expected`.

    Returns (minute -> firing, as promtool evaluated it; promtool's complaint when it could not
    evaluate the rules at all: then the minutes after it are missing). Each minute is one
    `promtool test rules` file that expects what `expected` says: it passes, or it fails with
    "exp: ... got: ...", and either way the answer is known.
    """
    name = f',alertname="{alert}"' if alert else ""
    expression = FIRING.format(name=name)
    found: dict[int, bool] = {}
    for minute, wanted in expected.items():
        test = {
            "rule_files": [str(rules_file)],
            "evaluation_interval": f"{SCRAPE_SECONDS}s",
            "tests": [{
                "interval": f"{SCRAPE_SECONDS}s",
                "input_series": traffic.series(),
                "promql_expr_test": [{"expr": expression, "eval_time": f"{minute}m",
                                      "exp_samples": [{"labels": "{}", "value": 1 if wanted else 0}]}],
            }],
        }
        path = folder / f"scenario-{minute}.test.yml"
        path.write_text(yaml.safe_dump(test, sort_keys=False))
        done = run("test", "rules", str(path), cwd=folder)
        said = done.stdout + done.stderr
        if done.returncode == 0:
            found[minute] = wanted
        elif "exp:" in said and "got:" in said:
            found[minute] = not wanted
        else:
            return found, said.strip()[-1500:]
    return found, ""
