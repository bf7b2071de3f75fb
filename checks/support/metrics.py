"""Reading what the app's Prometheus /metrics says (lesson 10 on)."""

from __future__ import annotations


def requests_counted(text: str, route: str) -> float | None:
    """The requests /metrics counts for `route` (a handler label, e.g. "/tasks/{task_id}").

    None when the text has no request counter (no `*requests_total` samples) at all.
    """
    from prometheus_client.parser import text_string_to_metric_families

    total, found = 0.0, False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("requests_total"):
                found = True
                if route in sample.labels.values():
                    total += sample.value
    return total if found else None
