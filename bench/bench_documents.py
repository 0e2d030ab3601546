"""Benchmark: end-to-end ``POST /v1/documents`` against a raw WeasyPrint render of the same HTML.

The bench starts everything it needs: an embedded SeaweedFS, a migrated SQLite database in a temp
folder, the real app (``create_app`` over ``build_runtime``) behind FastAPI's ``TestClient``, and a
``PooledRenderer`` with one warm worker process, exactly as the service renders. Each round times

* **ours**: ``POST /v1/documents`` (auth, validation, assembly, render in the worker process as
  PDF/A-3b with the input attached and signature boxes located, upload with SHA-256 to S3, rows and
  the audit event committed, the 201 answer), and
* **raw**: WeasyPrint alone on the same HTML (``render_html`` of the same assembled document), with
  the same pre-parsed print CSS and the same reused ``FontConfiguration``: ``HTML(...).write_pdf()``.

Rounds alternate ours/raw so that load on the (shared) machine hits both alike; medians are compared.
Run: ``.venv/bin/python bench/bench_documents.py [--rounds N] [--warmup N] [--docx]``
Target: ours / raw <= 1.15 for the MSA (the notice is printed for information).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from weasyprint import HTML

from adapters.renderers import PooledRenderer
from adapters.seaweedfs import EmbeddedSeaweedFS
from adapters.template_library import TemplateLibrary
from api.app import create_app
from domain.assembly.assemble import assemble
from domain.assembly.context import AssemblyContext, ClientInfo, Contact, DocumentRef
from domain.assembly.html_writer import render_html
from domain.roles import Role
from services.api_keys import ApiKeyService
from storage import migrator
from storage.api_key_repository import SqlApiKeyRepository
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.s3_blob_store import S3BlobStore
from undersign.branding import branding_from_settings
from undersign.runtime import build_runtime
from undersign.settings import REPO_ROOT, Settings

CASES = [("msa/msa", "us-tx-monthly", "MSA (11 pages)"), ("notices/reminder", "day-07", "one-page notice")]
CLIENT: dict[str, Any] = {
    "legal_name": "Northwind Dental Clinic Ltd.",
    "short_name": "Northwind",
    "address": "400 Main St, Vancouver BC V6A 1A1",
    "jurisdiction": "CA-BC",
    "billing_email": "ap@northwind.example",
    "primary_contact": {"name": "Dana Wu", "title": "Office Manager", "email": "dana@northwind.example"},
}


def sample(template_id: str, name: str) -> dict[str, Any]:
    """Return a shipped sample's variables."""
    path = REPO_ROOT / "templates" / template_id / "samples" / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def timed(action: Callable[[], object]) -> float:
    """Return the seconds ``action`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class RawWeasyPrint:
    """WeasyPrint alone on the HTML our layout produces, with the same warm CSS and fonts."""

    def __init__(self, library: TemplateLibrary, settings: Settings) -> None:
        self.library = library
        self.renderer = library.pdf_renderer()  # the same parsed CSS and FontConfiguration a worker keeps
        self.settings = settings

    def html(self, template_id: str, variables: dict[str, Any]) -> str:
        """Return the page for ``variables``, as the service would lay it out."""
        now = datetime.now(UTC)
        context = AssemblyContext(
            branding=branding_from_settings(self.settings),
            client=ClientInfo(
                legal_name=str(CLIENT["legal_name"]),
                short_name=str(CLIENT["short_name"]),
                address=str(CLIENT["address"]),
                jurisdiction=str(CLIENT["jurisdiction"]),
                contact=Contact(**CLIENT["primary_contact"]),
            ),
            document=DocumentRef(id=str(uuid.uuid4()), version=1, date=now.date(), created_at=now),
        )
        return render_html(assemble(self.library.get(template_id), variables, context), self.renderer.layout)

    def render(self, html: str) -> bytes:
        """Lay out and write the PDF: the library's own work, nothing of ours."""
        base_url = self.renderer.allowed_root.as_uri() + "/"
        data = HTML(string=html, base_url=base_url).write_pdf(
            stylesheets=[self.renderer.stylesheet], font_config=self.renderer.font_config
        )
        assert data
        return bytes(data)


def run(rounds: int, warmup: int, formats: list[str]) -> int:
    """Run the benchmark; return 0 if the MSA ratio meets its target, else 1."""
    with tempfile.TemporaryDirectory(prefix="undersign-bench-") as tmp:
        folder = Path(tmp)
        store_process = EmbeddedSeaweedFS(folder / "seaweed")
        store_process.start()
        try:
            return _run(folder, store_process, rounds, warmup, formats)
        finally:
            store_process.stop()


def _run(folder: Path, store_process: EmbeddedSeaweedFS, rounds: int, warmup: int, formats: list[str]) -> int:
    settings = Settings(data_dir=folder / "data", database={"url": f"sqlite:///{folder}/bench.db"})
    library = TemplateLibrary(settings.templates_dir)
    pool = PooledRenderer(library, workers=1, max_tasks_per_worker=10_000)
    blobs = S3BlobStore(
        bucket="bench-documents",
        endpoint_url=store_process.endpoint_url,
        region=store_process.region,
        access_key=store_process.access_key,
        secret_key=store_process.secret_key,
    )
    runtime = build_runtime(settings, blob_store=blobs, renderer=pool)
    migrator.upgrade(runtime.engine)
    runtime.ensure_bucket()
    with unit_of_work(runtime.sessions) as session:
        keys = ApiKeyService(SqlApiKeyRepository(session), runtime.clock, SqlAuditTrail(session, runtime.clock))
        _record, key = keys.create("bench", Role.ADMIN)
    headers = {"Authorization": f"Bearer {key}"}
    raw = RawWeasyPrint(library, settings)
    failed = False
    try:
        with TestClient(create_app(runtime)) as client:
            client_id = client.post("/v1/clients", json=CLIENT, headers=headers).json()["id"]
            print(f"rounds={rounds} warmup={warmup} formats={formats} renderer=PooledRenderer(workers=1, warm)")
            for template_id, sample_name, label in CASES:
                variables = sample(template_id, sample_name)
                body = {"template": template_id, "client_id": client_id, "variables": variables, "formats": formats}

                def post(body: dict[str, Any] = body) -> None:
                    response = client.post("/v1/documents", json=body, headers=headers)
                    assert response.status_code == 201, response.text

                html = raw.html(template_id, variables)
                for _ in range(warmup):
                    post()
                    raw.render(html)
                ours: list[float] = []
                plain: list[float] = []
                for _ in range(rounds):
                    ours.append(timed(post))
                    plain.append(timed(functools.partial(raw.render, html)))
                ratio = statistics.median(ours) / statistics.median(plain)
                target = " (target <= 1.15)" if template_id == "msa/msa" else ""
                print(
                    f"{label:16s} POST /v1/documents median {statistics.median(ours) * 1000:7.1f} ms"
                    f" (min {min(ours) * 1000:7.1f})  raw WeasyPrint median {statistics.median(plain) * 1000:7.1f} ms"
                    f" (min {min(plain) * 1000:7.1f})  ratio {ratio:.3f}{target}"
                )
                if template_id == "msa/msa" and ratio > 1.15:
                    failed = True
    finally:
        pool.close()
        runtime.close()
    return 1 if failed else 0


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds per document (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--docx", action="store_true", help="also render the DOCX in the POST (raw stays PDF)")
    args = parser.parse_args()
    sys.exit(run(args.rounds, args.warmup, ["pdf", "docx"] if args.docx else ["pdf"]))


if __name__ == "__main__":
    main()
