"""Lesson 18, part 2: what Prometheus scrapes, and the alerts it evaluates, with the real promtool.

monitoring/prometheus.yml must be a valid config (`promtool check config`, which checks the rule
files it names too) that scrapes the backend on the stack's network; monitoring/alerts.yml valid
rules (`promtool check rules`) with the two alerts the lesson names. Then the alerts are judged by
what they do: these checks write `promtool test rules` files of their own, made-up scrapes of the
metrics the app exports, phase by phase (support/prometheus.py), and ask when which alert fires.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shiplings.testing import workspace
from support import prometheus
from support.prometheus import SLOW, Phase, Traffic

CONFIG, RULES = "monitoring/prometheus.yml", "monitoring/alerts.yml"
ERRORS, LATENCY = "TasksHighErrorRate", "TasksSlowRequests"
# a burst of server errors: 1 request in 4 (the normal share is 1 in 400)
BURST = 7.0
# how soon after a real problem starts its alert must fire, in minutes: `for:` waits out blips,
# and should not wait out an outage
ERRORS_WITHIN, LATENCY_WITHIN = 10, 20


def files() -> tuple[Path, Path]:
    folder = workspace()
    for name in (CONFIG, RULES):
        assert (folder / name).is_file(), f"There is no {name} in your workspace: the starter has one to complete."
    return folder / CONFIG, folder / RULES


def job_name() -> str:
    """The job the backend's samples carry: prometheus.yml's job for backend:8000 (the first check's)."""
    config, _ = files()
    jobs = prometheus.scrape_jobs(prometheus.load(config))
    return next(iter(jobs), "tasks-backend")


def rule(name: str) -> dict:
    _, rules = files()
    found = prometheus.alert_rules(prometheus.load(rules))
    assert name in found, (
        f"{RULES} has no alert named {name} (it has {', '.join(found) or 'none'}): see the rules check."
    )
    return found[name]


@pytest.fixture
def promtool_folder(tmp_path) -> Path:
    prometheus.promtool()  # "cannot run" now, with the fix, when there is none
    return tmp_path


def test_prometheus_scrapes_the_backend(promtool_folder):
    config, _ = files()
    done = prometheus.run("check", "config", str(config), cwd=promtool_folder)
    assert done.returncode == 0, (
        f"`promtool check config {CONFIG}` refused it:\n{(done.stdout + done.stderr).strip()[-1200:]}\n"
        "It checks the rule files the config names as well (rule_files:, relative to prometheus.yml)."
    )
    model = prometheus.load(config)
    jobs = prometheus.scrape_jobs(model)
    assert jobs, (
        f"{CONFIG} scrapes nothing at {prometheus.BACKEND_TARGET}: Prometheus runs on the stack's network "
        "and reaches the backend by its service name and port, never through the public proxy. Add a scrape "
        f"config: `- job_name: tasks-backend` with `static_configs: [{{targets: [\"{prometheus.BACKEND_TARGET}\"]}}]`."
    )
    name, job = next(iter(jobs.items()))
    path = job.get("metrics_path", "/metrics")
    assert path == "/metrics", (
        f"The scrape job {name} asks {path}; the app serves its metrics at /metrics (lesson 10)."
    )
    assert "alerts.yml" in " ".join(str(item) for item in model.get("rule_files") or []), (
        f"{CONFIG} does not load alerts.yml (rule_files:), so Prometheus evaluates none of your alerts."
    )


def test_alert_rules_are_valid(promtool_folder):
    _, rules = files()
    done = prometheus.run("check", "rules", str(rules), cwd=promtool_folder)
    assert done.returncode == 0, (
        f"`promtool check rules {RULES}` refused it:\n{(done.stdout + done.stderr).strip()[-1200:]}"
    )
    found = prometheus.alert_rules(prometheus.load(rules))
    missing = [name for name in (ERRORS, LATENCY) if name not in found]
    assert not missing, (
        f"{RULES} has no alert named {' and none named '.join(missing)} (it has {', '.join(found) or 'none'}). "
        f"The lesson's two objectives each get one: {ERRORS} on the share of requests that fail with a 5xx, "
        f"{LATENCY} on the 95th percentile of the answer time."
    )
    hasty = [name for name in (ERRORS, LATENCY) if not found[name].get("for")]
    assert not hasty, (
        f"{' and '.join(hasty)} {'has' if len(hasty) == 1 else 'have'} no `for:`: an alert without one pages at the "
        "first evaluation that crosses the line, for a blip of one bad scrape. `for: 2m` (errors) and `for: 5m` "
        "(latency) ride out a blip and still page within minutes."
    )


def describe(minutes: dict[int, bool], wanted: dict[int, bool]) -> str:
    return ", ".join(f"minute {minute}: {'firing' if minutes[minute] else 'not firing'}"
                     for minute in sorted(minutes) if minutes[minute] != wanted[minute])


def firing(folder, rules, traffic: Traffic, wanted: dict[int, bool], alert: str | None = None) -> dict[int, bool]:
    """Whether the alert fires at the minutes of `wanted`, on made-up traffic; promtool's own error fails the check."""
    found, said = prometheus.firing(folder, rules, traffic, wanted, alert)
    assert not said, f"promtool could not evaluate {RULES} on made-up traffic:\n{said}"
    return found


def test_error_rate_alert_fires_on_a_burst_only(promtool_folder):
    rule(ERRORS)
    _, rules = files()
    job = job_name()
    wanted = {10: False, 30: False, 59: False}
    found = firing(promtool_folder, rules, Traffic(job, [Phase(60)]), wanted)
    assert found == wanted, (
        f"An hour of normal traffic (20 requests a second; 1 in 400 answered 5xx, 7 in 100 4xx: expired tokens, "
        f"wrong passwords, missing tasks) and an alert fires "
        f"({describe(found, wanted)}): an alert that pages for a normal day is soon ignored. Expected: quiet, "
        "because the alert is about the share of 5xx over a window, and 4xx are the client's mistakes, not an "
        "outage."
    )
    wanted = {9: False, 10 + ERRORS_WITHIN: True}
    burst = Traffic(job, [Phase(10), Phase(ERRORS_WITHIN + 10, server_errors=BURST)])
    found = firing(promtool_folder, rules, burst, wanted, ERRORS)
    assert found == wanted, (
        f"From minute 10 on, 1 request in 4 fails with a 5xx, and {ERRORS} is not firing "
        f"{ERRORS_WITHIN} minutes later ({describe(found, wanted)}; its for: is {rule(ERRORS).get('for', 'none')}): "
        "users see errors all that time. A `for:` rides out a blip (2m), not an outage; and the threshold "
        "should be crossed by a quarter of the requests failing (0.05: 1 in 20)."
    )
    wanted = {18: True, 45: False}
    recovered = Traffic(job, [Phase(10), Phase(10, server_errors=BURST), Phase(40)])
    found = firing(promtool_folder, rules, recovered, wanted, ERRORS)
    assert found == wanted, (
        f"A burst of 5xx from minute 10 to 20, then normal traffic again, and {ERRORS} is "
        f"{describe(found, wanted)}. http_requests_total is a counter: it only goes up, so an expression on "
        "the counter itself remembers every error since the process started, and never stops firing. "
        "Expected: an alert on the counter's rate(...) over a window, which falls again after the burst."
    )


def test_latency_alert_fires_on_a_slow_p95(promtool_folder):
    rule(LATENCY)
    _, rules = files()
    job = job_name()
    wanted = {10: False, 30: False, 59: False}
    found = firing(promtool_folder, rules, Traffic(job, [Phase(60)]), wanted, LATENCY)
    assert found == wanted, (
        f"An hour of normal traffic (97 requests in 100 answered within 100 ms, every one within a second) and "
        f"{LATENCY} fires ({describe(found, wanted)}). Expected: quiet, because the objective is about the slow "
        "tail: 95% of requests within 500 ms."
    )
    wanted = {9: False, 10 + LATENCY_WITHIN: True}
    slow = Traffic(job, [Phase(10), Phase(LATENCY_WITHIN + 10, latency=SLOW)])
    found = firing(promtool_folder, rules, slow, wanted, LATENCY)
    assert found == wanted, (
        f"From minute 10 on, 1 request in 5 takes seconds (the 95th percentile is above 1 s), and {LATENCY} is "
        f"not firing {LATENCY_WITHIN} minutes later ({describe(found, wanted)}; its for: is "
        f"{rule(LATENCY).get('for', 'none')}). Expected: an alert on the 95th percentile, estimated from the "
        "histogram's buckets and compared with the objective (500 ms), with a `for:` of minutes, not hours."
    )
