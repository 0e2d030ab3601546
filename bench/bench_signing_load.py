"""Benchmark: N concurrent signers through the real signing pages, `undersign serve` + `undersign worker`, PostgreSQL.

A throw-away deployment (a scratch PostgreSQL database, embedded SeaweedFS, outbox mail) runs as it
would in production: ``undersign serve`` (uvicorn, 2 workers by default) and ``undersign worker``
(procrastinate) as their own processes. N/2 two-signer MSAs are sent through the HTTP API; once the
worker has rendered their page images, N signers (one ``aiohttp`` session each, its own cookies)
start at once and walk the real pages: open the link, consent (the form's CSRF token), the document
page, every page image it lists, and sign (typed). Bounded: every signer makes one pass, every
request has a timeout, and a signer stops at its first unexpected answer.

Printed: p50/p95/p99 per step and the errors by status; per envelope the time from its last
signature to its sealed state (``completed_at`` in the database); the time until the last envelope
is sealed; the RSS of the server's and the worker's process trees sampled through a soak
(``--soak-minutes``: waves of ``--soak-batch`` new envelopes sent and signed the same way); the load
average at start and end. Baselines from the same run: bare FastAPI under uvicorn with the same
worker count answering the same number and shapes of requests at the same concurrency
(``raw_signing_app.py``: fixed page, form post, the same PNG bytes), in rounds before and after the
wave (medians); and raw pyHanko sealing the same sent PDF. Ratios are ours / raw.

Run: ``.venv/bin/python bench/bench_signing_load.py [--signers 200] [--soak-minutes 15] [--readme]``
(needs PostgreSQL at 127.0.0.1:5432, trust auth; the database ``--database-url`` names is dropped and
made again). ``--readme`` writes the figures into README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import aiohttp
import httpx
from envelope_fixture import Deployment, client_body, deployment, invitation_links
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from readme_figures import load_average, update_readme
from sqlalchemy import bindparam, text

from domain.envelopes import page_image_key
from undersign.settings import REPO_ROOT

BENCH = Path(__file__).resolve().parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/undersign_bench_load"
STEPS = ("open", "consent", "document", "page image", "sign")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="([^"]+)"')
_PAGE = re.compile(r"/pages/(\d+)\.png")
# Set when the run stops early: the seal watcher gives up instead of waiting out its timeout.
_ABORT = threading.Event()
_SAMPLE = json.loads((REPO_ROOT / "templates/msa/msa/samples/us-tx-monthly.json").read_text())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Tally:
    """Latencies per step and unexpected answers (``step: status``) of one set of ceremonies."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)

    def percentile(self, step: str, share: float) -> float:
        """Return the ``share`` percentile of ``step`` in seconds (nearest rank; 0 when nothing was recorded)."""
        ordered = sorted(self.latencies.get(step, []))
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    def requests(self) -> int:
        """Return how many requests were answered or failed."""
        return sum(len(values) for values in self.latencies.values())


def _client(timeout: float) -> aiohttp.ClientSession:
    """One signer's browser: its own cookies (also for 127.0.0.1) and connection, no redirects followed."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe=True: keep cookies set by an IP-address host
        connector=aiohttp.TCPConnector(limit=1),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


async def _request(
    client: aiohttp.ClientSession, tally: Tally, step: str, method: str, url: str, expected: int, **kwargs: Any
) -> str | None:
    """Make one request of ``step`` (body read whole); record its latency; return its text if the status is expected.

    Only pages are decoded: an image's text is ``""``.
    """
    start = time.perf_counter()
    try:
        async with client.request(method, url, allow_redirects=False, **kwargs) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        tally.latencies[step].append(time.perf_counter() - start)
        tally.errors[f"{step}: {type(exc).__name__}"] += 1
        return None
    tally.latencies[step].append(time.perf_counter() - start)
    if status != expected:
        tally.errors[f"{step}: {status}"] += 1
        return None
    return body.decode() if step in ("open", "document") else ""


async def _ceremony(base: str, path: str, go: asyncio.Event, tally: Tally, timeout: float) -> None:
    """One signer: open the link, consent, the document page, every page image, sign (typed)."""
    async with _client(timeout) as client:
        await go.wait()
        opened = await _request(client, tally, "open", "GET", base + path, 200)
        if opened is None:
            return
        csrf, version = _CSRF.search(opened), _VERSION.search(opened)
        if csrf is None or version is None:
            tally.errors["open: no consent form"] += 1
            return
        form = {"csrf": csrf.group(1), "agree": "yes", "version": version.group(1)}
        if await _request(client, tally, "consent", "POST", f"{base}{path}/consent", 303, data=form) is None:
            return
        document = await _request(client, tally, "document", "GET", base + path, 200)
        if document is None:
            return
        pages = sorted({int(index) for index in _PAGE.findall(document)})
        csrf = _CSRF.search(document)
        if not pages or csrf is None:
            tally.errors["document: no pages or no sign form"] += 1
            return
        for index in pages:
            if await _request(client, tally, "page image", "GET", f"{base}{path}/pages/{index}.png", 200) is None:
                return
        signature = {"csrf": csrf.group(1), "full_name": "Pat Signer", "title": "Owner", "attest": "yes"}
        await _request(client, tally, "sign", "POST", f"{base}{path}/sign", 200, data={**signature, "method": "typed"})


async def _raw_ceremony(base: str, pages: int, go: asyncio.Event, tally: Tally, timeout: float) -> None:
    """The same requests, in the same order, against the bare FastAPI app."""
    async with _client(timeout) as client:
        await go.wait()
        steps = [
            ("open", "GET", "/page", 200, {}),
            ("consent", "POST", "/form?redirect=1", 303, {"data": {"agree": "yes", "version": "v"}}),
            ("document", "GET", "/page", 200, {}),
            *[("page image", "GET", "/png", 200, {})] * pages,
            ("sign", "POST", "/form", 200, {"data": {"full_name": "Pat Signer", "attest": "yes"}}),
        ]
        for step, method, url, expected, kwargs in steps:
            if await _request(client, tally, step, method, base + url, expected, **kwargs) is None:
                return


async def _wave(ceremonies: Sequence[Any], go: asyncio.Event) -> float:
    """Start every ceremony at once (after their clients exist); return the wall time until all ended."""
    tasks = [asyncio.create_task(ceremony) for ceremony in ceremonies]
    await asyncio.sleep(1.0)  # every client is made and waiting
    start = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return time.perf_counter() - start


def run_signers(base: str, links: Sequence[str], tally: Tally, timeout: float) -> float:
    """Run one ceremony per link at once against ``base``; return the wave's wall time."""

    async def main() -> float:
        go = asyncio.Event()
        return await _wave([_ceremony(base, link, go, tally, timeout) for link in links], go)

    return asyncio.run(main())


def run_raw(base: str, signers_count: int, pages: int, tally: Tally, timeout: float) -> float:
    """Run ``signers_count`` raw ceremonies at once; return the wave's wall time."""

    async def main() -> float:
        go = asyncio.Event()
        return await _wave([_raw_ceremony(base, pages, go, tally, timeout) for _ in range(signers_count)], go)

    return asyncio.run(main())


def send_envelopes(base: str, dep: Deployment, count: int, tag: str, seen: dict[str, str]) -> dict[str, list[str]]:
    """Send ``count`` two-signer MSAs through the server's API; return envelope id -> its signers' link paths."""

    async def one(api: httpx.AsyncClient, gate: asyncio.Semaphore, number: int) -> tuple[str, list[str]]:
        emails = [f"{tag}-{number}-{i}@bench.example" for i in range(2)]
        async with gate:
            client = await api.post("/v1/clients", json=client_body(f"Bench Client {tag}-{number} Ltd."))
            client.raise_for_status()
            document = await api.post(
                "/v1/documents", json={"template": "msa/msa", "client_id": client.json()["id"], "variables": _SAMPLE}
            )
            document.raise_for_status()
            envelope = await api.post(
                "/v1/envelopes",
                json={
                    "document_id": document.json()["id"],
                    "version": 1,
                    "reminder_every_days": 0,
                    "signers": [
                        {"name": f"Signer {i}", "email": email, "title": "Owner", "role": "client", "order": 1}
                        for i, email in enumerate(emails)
                    ],
                },
            )
            envelope.raise_for_status()
            return envelope.json()["id"], emails

    async def main() -> list[tuple[str, list[str]]]:
        # A few at a time: each document is laid out by the server's render pool.
        gate = asyncio.Semaphore(4)
        async with httpx.AsyncClient(base_url=base, headers=dep.headers, timeout=600.0) as api:
            return await asyncio.gather(*(one(api, gate, number) for number in range(count)))

    sent = asyncio.run(main())
    deadline = time.monotonic() + 300
    while True:  # invitations may be mailed by the worker, after the request
        links = invitation_links(dep.settings.outbox_dir, seen)
        if all(email in links for _id, emails in sent for email in emails):
            return {envelope_id: [links[email] for email in emails] for envelope_id, emails in sent}
        if time.monotonic() > deadline:
            raise SystemExit("the invitations were not all mailed within 5 minutes")
        time.sleep(0.5)


def wait_for_page_images(dep: Deployment, envelope_ids: Sequence[str], timeout: float = 900.0) -> None:
    """Wait until the worker has rendered the page images of every envelope (signers see them at once)."""
    query = text(
        "SELECT count(*) FROM envelopes e LEFT JOIN page_images p ON p.sent_sha256 = e.sent_sha256 "
        "AND p.status = 'ready' WHERE e.id IN :ids AND p.sent_sha256 IS NULL"
    ).bindparams(bindparam("ids", expanding=True))
    deadline = time.monotonic() + timeout
    while True:
        with dep.runtime.engine.connect() as conn:
            if conn.execute(query, {"ids": list(envelope_ids)}).scalar_one() == 0:
                return
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not render the page images in time")
        time.sleep(1.0)


@dataclass
class Sealing:
    """How the envelopes whose signers all signed were sealed."""

    delays: list[float]  # seconds from the last signature to the sealed state, per sealed envelope
    unsealed: int  # fully signed but not sealed when the wait ended
    last_sealed_at: float  # epoch seconds of the last seal


def wait_for_seals(
    dep: Deployment, envelope_ids: Sequence[str], timeout: float, signing_over: threading.Event
) -> Sealing:
    """Once ``signing_over`` is set, wait until every fully signed envelope is sealed (or ``timeout``).

    Meant to run in a thread while the signers sign, so that a seal is seen when it happens.
    The database is polled every 0.5 s; an envelope's delay runs from its last ``signed_at`` to the
    first poll that saw it ``completed`` (the sealed copy filed and recorded): at most ~0.5 s late.
    """
    query = text(
        "SELECT e.id, e.status, max(s.signed_at) AS last_signed, "
        "count(*) FILTER (WHERE s.signed_at IS NULL) AS unsigned "
        "FROM envelopes e JOIN envelope_signers s ON s.envelope_id = e.id "
        "WHERE e.id IN :ids GROUP BY e.id, e.status"
    ).bindparams(bindparam("ids", expanding=True))
    sealed_at: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        with dep.runtime.engine.connect() as conn:
            rows = [row for row in conn.execute(query, {"ids": list(envelope_ids)}) if row.unsigned == 0]
        now = time.time()
        for row in rows:
            if row.status == "completed":
                sealed_at.setdefault(row.id, now)
        waiting = [row for row in rows if row.id not in sealed_at]
        if (signing_over.is_set() and not waiting) or time.monotonic() > deadline or _ABORT.is_set():
            return Sealing(
                delays=[sealed_at[row.id] - row.last_signed.timestamp() for row in rows if row.id in sealed_at],
                unsealed=len(waiting),
                last_sealed_at=max(sealed_at.values(), default=0.0),
            )
        time.sleep(0.5)


def _tree_rss_mb(pid: int) -> float:
    """Return the resident memory of ``pid`` and all its descendants in MB (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


class RssSampler(threading.Thread):
    """Samples the server's and the worker's process-tree RSS every ``every`` seconds until stopped."""

    def __init__(self, server: int, worker: int, every: float = 5.0) -> None:
        """Watch the trees of the ``server`` and ``worker`` process ids."""
        super().__init__(daemon=True)
        self.server, self.worker, self.every = server, worker, every
        self.samples: list[tuple[float, float, float]] = []  # (monotonic time, server MB, worker MB)
        self._halt = threading.Event()

    def run(self) -> None:
        """Sample until ``stop`` is called."""
        while not self._halt.is_set():
            self.samples.append((time.monotonic(), _tree_rss_mb(self.server), _tree_rss_mb(self.worker)))
            self._halt.wait(self.every)

    def stop(self) -> None:
        """Stop sampling (after the current sample)."""
        self._halt.set()
        self.join(timeout=30)

    def since(self, start: float) -> list[tuple[float, float, float]]:
        """Return the samples taken at or after the monotonic time ``start``."""
        return [sample for sample in self.samples if sample[0] >= start]


def _start(command: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    # Its own session: the process and its children (uvicorn workers, render pools) stop as one group.
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.5)


def raw_seal_ms(dep: Deployment, envelope_id: str, rounds: int = 5) -> float:
    """Return the median time of raw pyHanko sealing the sent PDF of ``envelope_id`` (load key + ``sign_pdf``)."""
    with dep.runtime.engine.connect() as conn:
        row = conn.execute(
            text("SELECT sent_key, sent_version_id FROM envelopes WHERE id = :id"), {"id": envelope_id}
        ).one()
    sent = dep.runtime.blob_store.get(row.sent_key, row.sent_version_id)
    pki = dep.settings.data_dir / "pki"
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        signer = signers.SimpleSigner.load(
            str(pki / "seal.key.pem"), str(pki / "seal.pem"), ca_chain_files=(str(pki / "ca.pem"),)
        )
        assert signer is not None
        signers.sign_pdf(
            IncrementalPdfFileWriter(BytesIO(sent), strict=False),
            signers.PdfSignatureMetadata(field_name="Seal", subfilter=fields.SigSeedSubFilter.PADES),
            signer=signer,
            output=BytesIO(),
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def first_page_png(dep: Deployment, envelope_id: str) -> tuple[bytes, int]:
    """Return the stored first page image of an envelope's sent PDF and its page count."""
    with dep.runtime.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT e.sent_sha256, p.page_count FROM envelopes e "
                "JOIN page_images p ON p.sent_sha256 = e.sent_sha256 WHERE e.id = :id"
            ),
            {"id": envelope_id},
        ).one()
    return dep.runtime.blob_store.get(page_image_key(row.sent_sha256, 0), None), int(row.page_count)


def step_table(ours: Tally, raw: Sequence[Tally]) -> list[str]:
    """Per step: requests, p50/p95/p99 of ours, the raw p99 (median over raw rounds) and the p99 ratio."""
    lines = [f"{'step':<11} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'raw p99':>8} {'ratio':>7}"]
    for step in STEPS:
        p99 = ours.percentile(step, 0.99) * 1000
        raw_p99 = statistics.median(r.percentile(step, 0.99) for r in raw) * 1000 if raw else 0.0
        ratio = f"{p99 / raw_p99:7.1f}" if raw_p99 else "      -"
        lines.append(
            f"{step:<11} {len(ours.latencies.get(step, [])):>8} {ours.percentile(step, 0.5) * 1000:>8.0f} "
            f"{ours.percentile(step, 0.95) * 1000:>8.0f} {p99:>8.0f} {raw_p99:>8.0f} {ratio}"
        )
    return lines


def _errors(tally: Tally) -> str:
    total = sum(tally.errors.values())
    if not total:
        return "errors: 0"
    return f"errors: {total} (" + ", ".join(f"{name} x{count}" for name, count in tally.errors.most_common()) + ")"


def _seal_line(sealing: Sealing, wave_started: float | None) -> str:
    if not sealing.delays:
        return f"sealed: none ({sealing.unsealed} fully signed envelopes not sealed)"
    within = sum(1 for delay in sealing.delays if delay <= 60)
    line = (
        f"last signature -> sealed: p50 {statistics.median(sealing.delays):.1f} s, max {max(sealing.delays):.1f} s; "
        f"{within}/{len(sealing.delays) + sealing.unsealed} within 60 s"
    )
    if wave_started is None:
        return line
    return f"{line}; last envelope sealed {sealing.last_sealed_at - wave_started:.1f} s after the signers started"


def _rss_line(name: str, samples: Sequence[float]) -> str:
    if len(samples) < 2:
        return f"{name} RSS: too few samples"
    start, end = samples[0], samples[-1]
    return (
        f"{name} RSS {start:.0f} MB -> {end:.0f} MB (min {min(samples):.0f}, max {max(samples):.0f}; "
        f"end vs start {(end - start) / start * 100:+.1f}%)"
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signers", type=int, default=200, help="concurrent signers (two per envelope)")
    parser.add_argument("--workers", type=int, default=2, help="`undersign serve` worker processes")
    parser.add_argument("--soak-minutes", type=float, default=15.0, help="0 for no soak")
    parser.add_argument("--soak-batch", type=int, default=10, help="envelopes sent and signed per soak wave")
    parser.add_argument("--raw-rounds", type=int, default=2, help="raw rounds before and after the wave (each)")
    parser.add_argument(
        "--concurrent-requests", type=int, default=None, help="UNDERSIGN_SERVER__CONCURRENT_REQUESTS (unset: the pool)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request before it is an error")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="scratch PostgreSQL database (recreated)")
    parser.add_argument("--readme", action="store_true", help="write the figures into README.md")
    args = parser.parse_args()
    load_start = load_average()
    port, raw_port = _free_port(), _free_port()
    base, raw_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{raw_port}"
    with deployment(port=port, database_url=args.database_url) as dep:
        logs = dep.settings.data_dir
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSIGN_")}
        # The API only records and enqueues, as in production: `undersign worker` runs every task.
        env = {**inherited, **dep.env(), "UNDERSIGN_TASKS__IN_API": "false"}
        if args.concurrent_requests:
            env["UNDERSIGN_SERVER__CONCURRENT_REQUESTS"] = str(args.concurrent_requests)
        undersign = str(Path(sys.executable).with_name("undersign"))
        with (logs / "serve.log").open("ab") as serve_log, (logs / "worker.log").open("ab") as worker_log:
            server = _start([undersign, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                             str(args.workers)], env, serve_log)  # fmt: skip
            worker = _start([undersign, "worker"], env, worker_log)
            raw: subprocess.Popen[bytes] | None = None
            sampler = RssSampler(server.pid, worker.pid)
            pool = ThreadPoolExecutor(1)  # the seal watcher
            try:
                _wait_ready(f"{base}/readyz", server, "undersign serve")
                sampler.start()
                envelopes_count = max(1, args.signers // 2)
                print(f"sending {envelopes_count} two-signer MSAs through the API ...", flush=True)
                seen: dict[str, str] = {}
                sent = send_envelopes(base, dep, envelopes_count, "wave", seen)
                wait_for_page_images(dep, list(sent))
                first = next(iter(sent))
                png = logs / "page.png"
                image, pages = first_page_png(dep, first)
                png.write_bytes(image)
                raw = _start(
                    [sys.executable, "-m", "uvicorn", "raw_signing_app:app", "--app-dir", str(BENCH), "--host",
                     "127.0.0.1", "--port", str(raw_port), "--workers", str(args.workers), "--log-level", "warning"],
                    {**inherited, "BENCH_RAW_PNG": str(png)},
                    serve_log,
                )  # fmt: skip
                _wait_ready(f"{raw_base}/page", raw, "the raw app")
                links = [link for paths in sent.values() for link in paths]
                raw_tallies: list[Tally] = []
                for _ in range(args.raw_rounds):
                    raw_tallies.append(Tally())
                    run_raw(raw_base, len(links), pages, raw_tallies[-1], args.timeout)
                print(f"{len(links)} signers start at once ...", flush=True)
                ours = Tally()
                started, over = time.time(), threading.Event()
                seals = pool.submit(wait_for_seals, dep, list(sent), 1800, over)
                wall = run_signers(base, links, ours, args.timeout)
                over.set()
                for _ in range(args.raw_rounds):
                    raw_tallies.append(Tally())
                    run_raw(raw_base, len(links), pages, raw_tallies[-1], args.timeout)
                sealing = seals.result()
                seal_ms = raw_seal_ms(dep, first)
                soak_start = time.monotonic()
                soak, soak_raw, waves, soak_sealing = Tally(), [], 0, Sealing([], 0, 0.0)
                while time.monotonic() - soak_start < args.soak_minutes * 60:
                    batch = send_envelopes(base, dep, args.soak_batch, f"soak{waves}", seen)
                    wait_for_page_images(dep, list(batch))
                    wave_links = [link for paths in batch.values() for link in paths]
                    over = threading.Event()
                    seals = pool.submit(wait_for_seals, dep, list(batch), 1800, over)
                    run_signers(base, wave_links, soak, args.timeout)
                    over.set()
                    soak_raw.append(Tally())
                    run_raw(raw_base, len(wave_links), pages, soak_raw[-1], args.timeout)
                    done = seals.result()
                    soak_sealing.delays += done.delays
                    soak_sealing.unsealed += done.unsealed
                    waves += 1
                soak_samples = sampler.since(soak_start)
            finally:
                _ABORT.set()
                # The processes first: nothing below may leave a server running.
                for process in (raw, server, worker):
                    if process is not None:
                        _stop(process)
                sampler.stop()
                pool.shutdown(wait=False, cancel_futures=True)
    lines = [
        f"{len(links)} concurrent signers ({len(sent)} two-signer MSAs, {pages} pages each) on loopback: "
        f"`undersign serve --workers {args.workers}` + `undersign worker`, PostgreSQL"
        + (f", {args.concurrent_requests} requests at work per process" if args.concurrent_requests else ""),
        f"load average: {load_start} at start, {load_average()} at end",
        f"wave: {ours.requests()} requests in {wall:.1f} s; raw = bare FastAPI/uvicorn ({args.workers} workers), "
        f"same requests and concurrency, median of {len(raw_tallies)} rounds",
        *step_table(ours, raw_tallies),
        _errors(ours),
        _seal_line(sealing, started),
        f"raw pyHanko seal of the same sent PDF (load key + sign_pdf): {seal_ms:.0f} ms; "
        f"ratio p50 seal delay / raw seal: {statistics.median(sealing.delays or [0.0]) * 1000 / seal_ms:.1f}",
    ]
    if waves:
        lines += [
            f"soak: {args.soak_minutes:g} min, {waves} waves of {args.soak_batch * 2} signers "
            f"({soak.requests()} requests), sign p99 {soak.percentile('sign', 0.99) * 1000:.0f} ms "
            f"(raw {statistics.median(r.percentile('sign', 0.99) for r in soak_raw) * 1000:.0f} ms), " + _errors(soak),
            "soak " + _seal_line(soak_sealing, None),
            _rss_line("server (serve + uvicorn workers + render pools)", [s[1] for s in soak_samples]),
            _rss_line("worker (procrastinate + render pool)", [s[2] for s in soak_samples]),
        ]
    lines.append("goal: 0 errors, sign p99 < 300 ms, every envelope sealed within 60 s, RSS within 10% over the soak")
    print("\n".join(lines))
    if args.readme:
        update_readme("bench_signing_load", "\n".join(lines))


if __name__ == "__main__":
    main()
