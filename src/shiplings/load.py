"""A bounded HTTP load generator, for the lessons' measurements and the benchmarks.

wrk (Debian's package) when it is installed; otherwise the same kind of load from Python:
`connections` keep-alive HTTP/1.1 connections, each asking again as soon as it has its
answer, for `seconds`. Both stop by themselves, and both are for loopback servers only.

    result = await measure_load("http://127.0.0.1:8000/health", seconds=2, connections=32)
    print(f"{result.rate:,.0f} requests/s ({result.tool}), {result.failed} failed")
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from shiplings import tools


@dataclass(frozen=True)
class LoadResult:
    rate: float  # requests answered per second
    failed: int  # answers that were not 2xx or 3xx, and requests that timed out
    tool: str  # "wrk" or "python"


async def measure_load(url: str, *, seconds: float = 2.0, connections: int = 64,
                       headers: dict[str, str] | None = None) -> LoadResult:
    """Load `url` for `seconds` from `connections` connections; wrk when installed."""
    headers = headers or {}
    wrk = tools.find("wrk")
    if wrk:
        return await asyncio.to_thread(_wrk, wrk, url, seconds, connections, headers)
    return await _python_load(url, seconds, connections, headers)


def load(url: str, **options) -> LoadResult:
    """measure_load() for code that has no event loop running (scripts, benchmarks)."""
    return asyncio.run(measure_load(url, **options))


def _wrk(wrk: str, url: str, seconds: float, connections: int, headers: dict[str, str]) -> LoadResult:
    command = [wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30).stdout
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate for {url}:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    timeouts = re.search(r"Socket errors:.*?timeout (\d+)", output)
    failed = (int(bad.group(1)) if bad else 0) + (int(timeouts.group(1)) if timeouts else 0)
    return LoadResult(float(rate.group(1)), failed, "wrk")


async def _python_load(url: str, seconds: float, connections: int, headers: dict[str, str]) -> LoadResult:
    target = urlsplit(url)
    host, port = target.hostname or "127.0.0.1", target.port or 80
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {target.netloc}", *(f"{name}: {value}" for name, value in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    done = failed = 0
    stop = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal done, failed
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < stop:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                done += 1
                failed += head[9:10] not in (b"2", b"3")  # b"HTTP/1.1 200 ..."[9] is the status class
        finally:
            writer.close()

    started = time.perf_counter()
    # a server that stops answering must not hang the caller: bound the whole run
    await asyncio.wait_for(asyncio.gather(*(connection() for _ in range(connections))), seconds + 30)
    return LoadResult(done / (time.perf_counter() - started), failed, "python")
