#!/usr/bin/env python3
"""A bounded load test: one URL, at a fixed rate, for a fixed time, held to an objective.

    python scripts/loadtest.py http://localhost:8080/api/ready --rate 50 --seconds 30 --p95-ms 300

Request number i is sent i/rate seconds after the start, whatever happened to the ones before
it: users arrive whether the server keeps up or not (an "open" model). A loop of clients that
each wait for an answer before sending the next slows down with the server, and so hides the
queue it causes: its percentiles look best exactly when users wait longest ("coordinated
omission"). For the same reason each latency counts from the moment the request was due, not
from the moment it finally left.

It prints a summary, then one line of JSON (for a program to read), and exits 1 when
the objective is missed: the 95th percentile above --p95-ms, or any request failed (an answer
other than 2xx, or none within --timeout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections import Counter

import httpx


def percentile(latencies: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest latency that `share` of them do not exceed."""
    ordered = sorted(latencies)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


async def run(url: str, rate: float, seconds: float, timeout: float) -> tuple[list[float], Counter, float]:
    """(every request's latency in seconds, how many ended how, the seconds the run took)."""
    total = max(1, round(rate * seconds))
    outcomes: Counter = Counter()
    # enough connections for the rate at the timeout: the client itself must not be the queue
    connections = max(10, math.ceil(rate * timeout))
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        start = time.perf_counter() + 0.2

        async def one(number: int) -> float:
            due = start + number / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                answer = await client.get(url)
                outcomes["ok" if answer.is_success else str(answer.status_code)] += 1
            except httpx.TimeoutException:
                outcomes["timeout"] += 1
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1
            return time.perf_counter() - due

        latencies = await asyncio.gather(*(one(number) for number in range(total)))
    return list(latencies), outcomes, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, default=20.0, help="requests a second (default 20)")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long (default 15)")
    parser.add_argument("--p95-ms", type=float, default=500.0, help="the objective (default 500)")
    parser.add_argument("--timeout", type=float, default=5.0, help="a request's limit in seconds (default 5)")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be above 0")

    latencies, outcomes, took = asyncio.run(run(args.url, args.rate, args.seconds, args.timeout))
    failed = {outcome: count for outcome, count in outcomes.items() if outcome != "ok"}
    p50, p95, p99 = (round(percentile(latencies, share) * 1000, 1) for share in (0.50, 0.95, 0.99))
    met = p95 <= args.p95_ms and not failed
    summary = {
        "url": args.url, "rate": args.rate, "seconds": args.seconds, "sent": len(latencies),
        "ok": outcomes["ok"], "failed": failed, "achieved_rate": round(len(latencies) / took, 1),
        "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": round(max(latencies) * 1000, 1),
        "objective": {"p95_ms": args.p95_ms, "met": met},
    }
    print(f"{len(latencies)} requests at {args.rate:g}/s for {args.seconds:g} s: {outcomes['ok']} answered 2xx"
          + (f", failed: {', '.join(f'{count} x {outcome}' for outcome, count in failed.items())}" if failed else ""))
    print(f"latency from when each was due: p50 {p50} ms, p95 {p95} ms, p99 {p99} ms, max {summary['max_ms']} ms")
    print(f"objective (p95 under {args.p95_ms:g} ms, no failure): {'met' if met else 'MISSED'}")
    print(json.dumps(summary))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
