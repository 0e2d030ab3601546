"""Benchmark: the signing page under 50 concurrent signers, against uvicorn on loopback.

A throw-away deployment (SQLite, embedded SeaweedFS, outbox mail) sends 5 MSAs to 10 parallel
signers each; ``undersign serve``'s ASGI app runs under uvicorn in a separate process (2 workers by
default); 50 client threads then each walk the whole ceremony at once: open the link, consent, load
the document page and its first page image, and sign (typed). The last signature of each envelope
starts its sealing in the background. Every request's latency is recorded; p50, p99 and the error
count are printed. Bounded: 50 signers x 5 requests, a 60 s timeout per request, then it stops.

Run: ``.venv/bin/python bench/bench_signing_page.py [--signers 50] [--workers 2] [--database-url URL]``
(with SQLite, concurrent writers from several worker processes queue on one lock: use PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

import httpx
from envelope_fixture import deployment


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ceremony(base: str, path: str, barrier: threading.Barrier, latencies: list[float], errors: list[str]) -> None:
    with httpx.Client(base_url=base, timeout=60.0, follow_redirects=False) as client:
        barrier.wait()
        steps = [
            ("GET", path, None, 200),
            ("POST", f"{path}/consent", {"agree": "yes", "version": "esign-consent-2"}, 303),
            ("GET", path, None, 200),
            ("GET", f"{path}/pages/0.png", None, 200),
            (
                "POST",
                f"{path}/sign",
                {"full_name": "Pat Signer", "title": "Owner", "attest": "yes", "method": "typed"},
                200,
            ),
        ]
        for method, url, data, expected in steps:
            start = time.perf_counter()
            try:
                response = client.request(method, url, data=data)
                ok = response.status_code == expected
                detail = f"{method} {url.split('/')[-1]} -> {response.status_code}"
            except httpx.HTTPError as exc:
                ok, detail = False, f"{method} -> {type(exc).__name__}"
            latencies.append(time.perf_counter() - start)
            if not ok:
                errors.append(detail)
                return


def main() -> None:
    """Run the benchmark and print p50, p99 and errors."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL of a scratch database (dropped and recreated); default SQLite in a temp folder",
    )
    args = parser.parse_args()
    port = _free_port()
    with deployment(port=port, database_url=args.database_url) as dep:
        links: list[str] = []
        print("preparing envelopes (rendering MSAs) ...", flush=True)
        while len(links) < args.signers:
            _envelope_id, new = dep.send(signers=min(10, args.signers - len(links)))
            links.extend(new)
        dep.runtime.engine.dispose()
        env = {**os.environ, **dep.env()}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            latencies: list[float] = []
            errors: list[str] = []
            barrier = threading.Barrier(len(links))
            threads = [
                threading.Thread(target=_ceremony, args=(base, link, barrier, latencies, errors)) for link in links
            ]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            wall = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(timeout=30)
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"{len(links)} concurrent signers, {len(latencies)} requests in {wall:.1f} s "
            f"({args.workers} workers, {backend})"
        )
        print(f"latency p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, errors {len(errors)}")
        for error in errors[:10]:
            print(f"  error: {error}")


if __name__ == "__main__":
    main()
