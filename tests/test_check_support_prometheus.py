"""checks/support/prometheus.py: made-up scrapes, and alert rules judged by the real promtool.

The lesson's own rules are proved by `shiplings dev check 18` (solution, starter, mutants);
these tests pin the parts a wrong number would silently weaken: the counters' notation, the
traffic's shares, and reading pass or fail back from promtool.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shiplings import tools

CHECKS = Path(__file__).resolve().parents[1] / "checks"
RULES = """\
groups:
  - name: t
    rules:
      - alert: Errors
        expr: sum(rate(http_requests_total{status="5xx"}[5m])) / sum(rate(http_requests_total[5m])) > 0.05
        for: 2m
"""


@pytest.fixture
def prometheus(monkeypatch):
    monkeypatch.syspath_prepend(str(CHECKS))
    import support.prometheus

    yield support.prometheus
    for name in [name for name in sys.modules if name == "support" or name.startswith("support.")]:
        del sys.modules[name]


def test_counters_grow_phase_after_phase(prometheus):
    # 2 scrapes growing by 5, then 3 growing by 1: one value per scrape after the first 0
    assert prometheus.values([(5, 2), (1, 3)]) == "0 5+5x1 11+1x2"
    assert prometheus.values([(5, 0), (2, 1)]) == "0 2+2x0"


def test_traffic_series_cover_what_the_app_exports(prometheus):
    traffic = prometheus.Traffic("tasks-backend", [prometheus.Phase(2), prometheus.Phase(1, server_errors=7.0)])
    series = {entry["series"]: entry["values"] for entry in traffic.series()}
    names = {name.split("{")[0] for name in series}
    assert {"up", "http_requests_total", "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_count", "http_request_duration_highr_seconds_bucket"} <= names
    assert all('job="tasks-backend"' in name for name in series)
    five = next(values for name, values in series.items() if 'status="5xx"' in name)
    assert five == "0 0.9+0.9x7 112.2+105x3"  # 0.06/s for 8 scrapes, then 7/s for 4


def test_scrape_jobs_find_the_backend_target(prometheus):
    config = {"scrape_configs": [{"job_name": "other", "static_configs": [{"targets": ["proxy:80"]}]},
                                 {"job_name": "api", "static_configs": [{"targets": ["backend:8000"]}]}]}
    assert list(prometheus.scrape_jobs(config)) == ["api"]
    assert prometheus.scrape_jobs({}) == {}


@pytest.mark.skipif(tools.find("promtool") is None, reason="promtool is not installed (`shiplings doctor`)")
def test_firing_reads_promtool_s_verdict(prometheus, tmp_path):
    rules = tmp_path / "alerts.yml"
    rules.write_text(RULES)
    burst = prometheus.Traffic("j", [prometheus.Phase(10), prometheus.Phase(10, server_errors=7.0)])
    found, said = prometheus.firing(tmp_path, rules, burst, {9: False, 19: True}, "Errors")
    assert (found, said) == ({9: False, 19: True}, "")
    # expected the other way round: the answer is still what promtool saw
    found, said = prometheus.firing(tmp_path, rules, burst, {9: True, 19: False}, "Errors")
    assert (found, said) == ({9: False, 19: True}, "")
    rules.write_text("groups: [{name: t, rules: [{alert: Broken, expr: 'rate(x'}]}]\n")
    found, said = prometheus.firing(tmp_path, rules, burst, {9: False}, "Broken")
    assert found == {} and said
