"""Lesson 10: Prometheus /metrics counts the requests of every worker process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support.metrics import requests_counted

ROUTE = "/tasks/{task_id}"  # the route the check's requests hit, as metrics label it
REQUESTS = 40


def counted(text: str) -> float | None:
    """The requests /metrics counts for ROUTE (None when there is no request counter)."""
    return requests_counted(text, ROUTE)


@pytest.mark.timeout(90)
def test_metrics_count_across_workers(metrics_server):
    # the server (conftest.py: early_servers) started as the run began; only this check uses it

    # one client (a new one per request would cost more CPU than the server spends), and a new
    # connection per request, so that both workers get some of the requests
    with httpx.Client(base_url=metrics_server.url, headers={"Connection": "close"}, timeout=10) as http:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda number: http.get(f"/tasks/{number + 1}"), range(REQUESTS)))
        scrapes = [http.get("/metrics") for _ in range(6)]
    first = scrapes[0]
    assert first.status_code == 200 and counted(first.text) is not None, (
        "GET /metrics should answer 200 with Prometheus' text format and a request counter "
        f"(http_requests_total); your app answered {first.status_code} {first.text[:200]!r}. Look at "
        "create_app() in app/main.py: prometheus_fastapi_instrumentator's Instrumentator should "
        "both instrument the app and expose /metrics."
    )
    counts = [counted(scrape.text) for scrape in scrapes]
    assert all(count == REQUESTS for count in counts), (
        f"The check sent {REQUESTS} requests to GET /tasks/{{id}} through two worker processes "
        f"(`uvicorn --workers 2`, PROMETHEUS_MULTIPROC_DIR set), then read /metrics six times; the "
        f'counter for handler="{ROUTE}" said {[int(count or 0) for count in counts]}. Each worker '
        "counts only its own requests unless prometheus_client runs in multiprocess mode: with "
        "PROMETHEUS_MULTIPROC_DIR set, the workers write their counts to files in that folder and "
        "/metrics must add them all up (the instrumentator's expose() does; a /metrics of your own "
        "needs a CollectorRegistry with a multiprocess.MultiProcessCollector)."
    )
