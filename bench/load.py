"""Load generator for bench/intake.py, run in its own process: signed webhooks, fixed concurrency.

Prints one JSON line: requests, errors, seconds, tips/s, p50 and p99 latency in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import aiohttp
from twilio.request_validator import RequestValidator

PATH = "/channels/sms/twilio"


def signed_requests(
    base: str, public: str, token: str, count: int
) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(token)
    requests = []
    for number in range(count):
        form = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"+2237{number:07d}",
            "To": "+22380000000",
            "Body": f"yamba bɛ feere Kalaban Coura bi su, kɔfɛ marché {number}",
            "NumMedia": "0",
        }
        requests.append((form, validator.compute_signature(public + PATH, form)))
    return requests


async def run(base: str, public: str, token: str, count: int, concurrency: int) -> dict[str, float]:
    requests = signed_requests(base, public, token, count)
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            nonlocal errors
            while not queue.empty():
                form, signature = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(
                    base + PATH, data=form, headers={"X-Twilio-Signature": signature}
                ) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": count,
        "errors": errors,
        "seconds": round(elapsed, 3),
        "tips_per_s": round(count / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--public", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    result = asyncio.run(run(args.base, args.public, args.token, args.count, args.concurrency))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
