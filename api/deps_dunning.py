"""Wiring of the dunning area: the invoice and dunning services, the mailer, the per-invoice unit of work.

The CLI uses the same functions, so a run from cron and a run over HTTP are built identically.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import Depends
from sqlalchemy.orm import Session

from adapters.mail import mailer_from_settings
from api.deps import ActorDep, RuntimeDep, SessionDep
from domain.actor import Actor
from domain.errors import TemplateInvalid
from domain.roles import Permission, require
from services.documents import DocumentService
from services.dunning import ClientTerms, DunningService
from services.dunning_notices import NoticeSettings
from services.dunning_run import RunReport, UnitFactory, run_dunning
from services.invoices import InvoiceService
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.database import unit_of_work
from storage.document_repository import SqlDocumentRepository
from storage.dunning_repository import SqlDunningRepository
from storage.invoice_repository import SqlInvoiceRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from undersign.runtime import Runtime
from undersign.settings import Settings


@functools.lru_cache(maxsize=8)
def _load_policy(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise TemplateInvalid(f"The ladder policy {path} is not a mapping.")
    return data


def default_policy(settings: Settings) -> dict[str, Any]:
    """Return the default ladder policy file as data (re-read when the file changes)."""
    path = settings.dunning.policy_path
    try:
        return _load_policy(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise TemplateInvalid(f"The ladder policy {path} cannot be read: {exc}") from exc


def notice_settings(settings: Settings) -> NoticeSettings:
    """Return what notices say about the MSP's billing contact and how to pay."""
    d = settings.dunning
    return NoticeSettings(
        contact_name=d.contact_name,
        contact_email=d.contact_email,
        contact_phone=d.contact_phone,
        portal_url=d.portal_url,
        bank_details=d.bank_details,
        counsel_reviewed=d.counsel_reviewed,
        contact_title=d.contact_title,
        answer_days=d.answer_days,
    )


def make_dunning_service(
    session: Session, runtime: Runtime, cache: MutableMapping[str, ClientTerms] | None = None
) -> DunningService:
    """Return the dunning service bound to ``session``."""
    audit = SqlAuditTrail(session, runtime.clock)
    documents = DocumentService(
        documents=SqlDocumentRepository(session),
        clients=SqlClientRepository(session),
        templates=runtime.templates,
        renderer=runtime.renderer,
        blobs=runtime.blob_store,
        clock=runtime.clock,
        branding=runtime.branding,
        audit=audit,
        budget=runtime.render_budget,
    )
    return DunningService(
        invoices=SqlInvoiceRepository(session),
        steps=SqlDunningRepository(session),
        clients=SqlClientRepository(session),
        signed=SqlSignedDocumentRepository(session),
        documents=SqlDocumentRepository(session),
        document_service=documents,
        templates=runtime.templates,
        mailer=mailer_from_settings(runtime.settings.mail, runtime.settings.outbox_dir),
        audit=audit,
        clock=runtime.clock,
        default_policy=default_policy(runtime.settings),
        notice=notice_settings(runtime.settings),
        cache=cache,
    )


def unit_factory(runtime: Runtime) -> UnitFactory:
    """Return a factory of units of work, each yielding a dunning service (one per invoice of a run)."""
    cache: dict[str, ClientTerms] = {}

    @contextmanager
    def open_unit() -> Iterator[DunningService]:
        with unit_of_work(runtime.sessions) as session:
            yield make_dunning_service(session, runtime, cache)

    return open_unit


def run_workers(runtime: Runtime) -> int:
    """Return how many invoices a run handles at once: the render workers, or 1 on SQLite (one writer)."""
    if runtime.settings.database_url.startswith("sqlite"):
        return 1
    return runtime.settings.render.workers


def invoice_service(session: SessionDep, runtime: RuntimeDep) -> InvoiceService:
    """Return the invoice service bound to this request's session."""
    return InvoiceService(
        SqlInvoiceRepository(session),
        SqlClientRepository(session),
        runtime.clock,
        SqlAuditTrail(session, runtime.clock),
    )


InvoiceServiceDep = Annotated[InvoiceService, Depends(invoice_service, scope="function")]


def dunning_service(session: SessionDep, runtime: RuntimeDep) -> DunningService:
    """Return the dunning service bound to this request's session."""
    return make_dunning_service(session, runtime)


DunningServiceDep = Annotated[DunningService, Depends(dunning_service, scope="function")]


class DunningRunner:
    """Runs the ladder for a day over every open invoice, one unit of work per invoice."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def __call__(self, actor: Actor, as_of: date, *, dry_run: bool) -> RunReport:
        """Plan or perform the run for ``as_of`` as ``actor``."""
        return run_dunning(
            unit_factory(self._runtime), actor, as_of, dry_run=dry_run, workers=run_workers(self._runtime)
        )


def dunning_runner(session: SessionDep, actor: ActorDep, runtime: RuntimeDep) -> DunningRunner:
    """Return the runner after ending the request's own transaction.

    The run commits per invoice in its own units of work; the request's transaction (which only
    authenticated the caller) is committed first so that it holds no lock while the run writes
    (SQLite takes its single write lock when a transaction begins).
    """
    assert actor.role is not None
    require(actor.role, Permission.DUNNING_RUN)
    session.commit()
    return DunningRunner(runtime)


DunningRunnerDep = Annotated[DunningRunner, Depends(dunning_runner, scope="function")]
