"""Benchmark: a dunning run over many overdue invoices, against the raw render rate of the same notice.

What is measured, in one run of this script:

1. **Planning** (``--invoices N``, default 10,000 overdue invoices over N/10 clients): a dry-run over
   every invoice (load, bind to policy, plan), in invoices per second. Nothing is rendered.
2. **Raw render**: the same final notice rendered by WeasyPrint alone (``HTML(string).write_pdf``
   on the notice's assembled HTML, in this process), in notices per second.
3. **Full issue** over a sample (``--sample S``, default 40) of those invoices on a fresh database:
   the real run (claim, plan, assemble, render in the PooledRenderer, file in the object store
   (embedded SeaweedFS), record, audit, mail to the outbox), with 1 and then 2 render workers
   (and as many run threads), in notices per second; the ratio to the raw rate and the 1->2 scaling.

A full 10,000-notice render run is bounded out: on 2 cores it would take minutes; the sample rate
times N is the estimate printed. PostgreSQL (``--database-url``, default the test server) is used
because SQLite has a single writer, which serialises the run.

Run: ``.venv/bin/python bench/bench_dunning.py [--invoices N] [--sample S] [--database-url URL]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from weasyprint import HTML

from adapters.renderers import PooledRenderer, preview_html
from adapters.seaweedfs import EmbeddedSeaweedFS
from adapters.template_library import TemplateLibrary
from domain.actor import Actor, ActorKind
from domain.assembly.assemble import AssembledDocument, assemble
from domain.assembly.context import AssemblyContext, ClientInfo, DocumentRef
from services.dunning_run import run_dunning
from storage import migrator
from storage.tables import clients
from storage.tables_dunning import invoices
from undersign.branding import branding_from_settings
from undersign.jobs import dunning_units
from undersign.runtime import build_runtime
from undersign.settings import REPO_ROOT, Settings

AS_OF = date(2026, 4, 1)
DUE = AS_OF - timedelta(days=30)  # every invoice is at its final notice
ACTOR = Actor(name="bench", kind=ActorKind.SYSTEM)


def fresh_database(admin_url: str, name: str) -> str:
    """Create (or recreate) database ``name``, migrate it and return its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    migrated = create_engine(url)
    migrator.upgrade(migrated)
    migrated.dispose()
    return url


def seed(url: str, count: int, tag: str = "") -> None:
    """Insert ``count`` invoices due 30 days before the run day, ten per client (``tag`` keeps names unique)."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    client_rows: list[dict[str, object]] = []
    invoice_rows: list[dict[str, object]] = []
    for c in range(max(count // 10, 1)):
        client_id = str(uuid.uuid4())
        client_rows.append(
            {
                "id": client_id,
                "legal_name": f"Client {tag}{c} Ltd.",
                "legal_name_key": f"client {tag}{c} ltd.",
                "short_name": f"C{c}",
                "address": "1 Main St",
                "jurisdiction": "CA-BC",
                "billing_email": f"ap{c}@client.example",
                "contact_name": "Dana",
                "contact_title": "",
                "contact_email": f"dana{c}@client.example",
                "notes": "",
                "created_at": now,
                "updated_at": now,
            }
        )
        for i in range(10):
            if len(invoice_rows) >= count:
                break
            invoice_rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "number": f"INV-{tag}{c:05d}-{i}",
                    "client_id": client_id,
                    "currency": "CAD",
                    "amount_minor": 125_000 + i,
                    "issued_on": DUE - timedelta(days=30),
                    "due_on": DUE,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(clients), client_rows)
        conn.execute(insert(invoices), invoice_rows)
    engine.dispose()


def settings_for(url: str, store: EmbeddedSeaweedFS, folder: Path, workers: int) -> Settings:
    """Development settings on ``url`` and the embedded store with ``workers`` render processes."""
    return Settings(
        data_dir=folder,
        database={"url": url, "pool_size": 4},
        s3={
            "endpoint_url": store.endpoint_url,
            "access_key": SecretStr(store.access_key),
            "secret_key": SecretStr(store.secret_key),
            "region": store.region,
            "bucket": f"bench-{uuid.uuid4().hex[:12]}",
        },
        render={"workers": workers},
    )


def final_notice_document(library: TemplateLibrary) -> AssembledDocument:
    """Return the final notice of one overdue invoice, assembled (what the raw baselines render)."""
    manifest = library.get("notices/final-notice")
    variables = {
        "invoices": [
            {
                "number": "INV-1",
                "issued_on": "2026-02-01",
                "due_on": "2026-03-02",
                "amount": 1250.0,
                "currency": "CAD",
                "days_overdue": 30,
            }
        ],
        "total_due": 1250.0,
        "currency": "CAD",
        "pay_by": "2026-04-06",
        "suspension_date": "2026-04-06",
        "contact": {"name": "Accounts Receivable"},
        "payment": {"reference": "INV-1"},
    }
    now = datetime.now(UTC)
    context = AssemblyContext(
        branding=branding_from_settings(Settings()),
        client=ClientInfo(legal_name="Client 0 Ltd.", short_name="C0", address="1 Main St", jurisdiction="CA-BC"),
        document=DocumentRef(id="bench", version=1, date=now.date(), created_at=now),
    )
    return assemble(manifest, variables, context)


def raw_rate(rounds: int) -> float:
    """Render the final notice with WeasyPrint alone ``rounds`` times; return notices per second."""
    library = TemplateLibrary(REPO_ROOT / "templates")
    html = preview_html(library, final_notice_document(library))
    HTML(string=html).write_pdf()  # warm fonts
    started = time.perf_counter()
    for _ in range(rounds):
        HTML(string=html).write_pdf()
    return rounds / (time.perf_counter() - started)


def issue_rate(admin_url: str, store: EmbeddedSeaweedFS, folder: Path, sample: int, workers: int) -> float:
    """Run the real ladder over ``sample`` invoices with ``workers`` render workers; return notices per second."""
    url = fresh_database(admin_url, f"undersign_bench_dunning_{workers}")
    seed(url, sample)
    settings = settings_for(url, store, folder / f"w{workers}", workers)
    library = TemplateLibrary(settings.templates_dir)
    renderer = PooledRenderer(library, workers=workers)
    runtime = build_runtime(settings, renderer=renderer)
    runtime.ensure_bucket()
    try:
        # Warm the worker processes (fonts, CSS) so the timing is of steady-state rendering.
        for _ in range(workers):
            run_dunning(dunning_units(runtime), ACTOR, AS_OF, dry_run=True)
        started = time.perf_counter()
        report = run_dunning(dunning_units(runtime), ACTOR, AS_OF, workers=workers)
        elapsed = time.perf_counter() - started
        assert report.issued == sample and not report.failed, report.failed
        return sample / elapsed
    finally:
        renderer.close()
        runtime.close()


def main() -> None:
    """Run the benchmark and print rates and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = fresh_database(args.database_url, "undersign_bench_dunning_plan")
        seed(url, args.invoices)
        store = EmbeddedSeaweedFS(folder / "seaweed")
        store.start()
        try:
            runtime = build_runtime(settings_for(url, store, folder / "plan", 1))
            started = time.perf_counter()
            report = run_dunning(dunning_units(runtime), ACTOR, AS_OF, dry_run=True)
            plan_seconds = time.perf_counter() - started
            runtime.close()
            planned = sum(1 for s in report.steps if s.disposition == "issued" and s.kind != "phone_task")
            raw = raw_rate(args.sample)
            one = issue_rate(args.database_url, store, folder, args.sample, 1)
            two = issue_rate(args.database_url, store, folder, args.sample, 2)
        finally:
            store.stop()
    print(f"dunning run, {args.invoices} overdue invoices at their final notice (PostgreSQL, embedded SeaweedFS)")
    print(
        f"  dry-run planning:           {args.invoices / plan_seconds:9.0f} invoices/s ({plan_seconds:.1f} s, "
        f"{planned} notices planned)"
    )
    print(f"  raw WeasyPrint render:      {raw:9.1f} notices/s (same final notice, 1 process)")
    print(f"  full issue, 1 worker:       {one:9.1f} notices/s (sample {args.sample}); ratio to raw {one / raw:.2f}")
    print(f"  full issue, 2 workers:      {two:9.1f} notices/s (sample {args.sample}); ratio to raw {two / raw:.2f}")
    print(f"  scaling 1 -> 2 workers:     {two / one:9.2f}x")
    print(f"  estimate for {args.invoices} notices at 2 workers: {args.invoices / two / 60:.1f} min")


if __name__ == "__main__":
    main()
