"""An MSP's back office over in-memory fakes: every port of the services, and the services built on them.

The template library and the ladder policy are the shipped ones (``templates/``, ``policies/``); the
document service is the real one; only the edges (database, object store, mail relay, render
workers, clock) are fakes. ``units()`` gives ``run_dunning`` one fake transaction per unit, so a
failing invoice rolls back exactly what a failing database transaction would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from adapters.ladder_policy_file import read_ladder_policy
from adapters.template_library import TemplateLibrary
from domain.assembly.context import Branding
from domain.clients import Client, Contact
from domain.envelopes import RetentionPolicy
from domain.invoices import InvoiceRecord
from domain.ports import DocumentListener, EnvelopeOutcomeListener
from services.documents import DocumentService
from services.dunning import ClientTerms, DunningService
from services.dunning_notices import NoticeSettings
from services.dunning_run import UnitFactory
from services.envelopes import EnvelopeService, SigningRules
from services.risks import RiskService
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.billing import FakeDunningRepository, FakeInvoiceRepository
from tests.fakes.blobs import FakeBlobStore
from tests.fakes.clients import FakeClientRepository
from tests.fakes.clock import FixedClock
from tests.fakes.documents import FakeDocumentRepository, FakeSignedDocumentRepository
from tests.fakes.envelopes import FakeEnvelopeRepository
from tests.fakes.mail import RecordingMailer
from tests.fakes.risks import FakeRiskRepository
from tests.fakes.tasks import FakeTaskQueue
from tests.fakes.templates import FakeRenderer
from tests.fakes.unit_of_work import FakeUnitOfWork
from undersign.settings import REPO_ROOT

DEFAULT_LADDER = REPO_ROOT / "policies" / "default-ladder.yaml"


class FakeOffice:
    """Every fake port, shared by the services a test builds (one database, one bucket, one relay)."""

    def __init__(self, templates: TemplateLibrary, *, at: datetime | None = None) -> None:
        self.clock = FixedClock(at)
        self.templates = templates
        self.clients = FakeClientRepository()
        self.invoices = FakeInvoiceRepository()
        self.steps = FakeDunningRepository(self.clients)
        self.documents = FakeDocumentRepository()
        self.signed = FakeSignedDocumentRepository()
        self.risks = FakeRiskRepository()
        self.envelopes = FakeEnvelopeRepository()
        self.audit = FakeAuditTrail(self.clock)
        self.blobs = FakeBlobStore()
        self.mailer = RecordingMailer()
        self.tasks = FakeTaskQueue()
        self.renderer = FakeRenderer(templates)
        self.branding = Branding(msp_name="Harbour IT Ltd", address="1 Quay Street, Vancouver BC")
        self.policy: dict[str, Any] = read_ladder_policy(DEFAULT_LADDER)
        self.notice = NoticeSettings(contact_email="ar@harbour.example")
        self.rules = SigningRules(link_base="https://sign.harbour.example")
        self.database = FakeUnitOfWork(
            [
                self.clients,
                self.invoices,
                self.steps,
                self.documents,
                self.signed,
                self.risks,
                self.envelopes,
                self.audit,
                self.tasks,
            ]
        )

    # -- services ------------------------------------------------------------------------------------

    def document_service(
        self, listeners: Sequence[DocumentListener] = (), *, evidence_lock: RetentionPolicy | None = None
    ) -> DocumentService:
        """The real document service over the fakes, telling ``listeners`` of every version filed.

        With ``evidence_lock``, documents that are evidence on issue (notices) are filed under that lock.
        """
        return DocumentService(
            documents=self.documents,
            clients=self.clients,
            templates=self.templates,
            renderer=self.renderer,
            blobs=self.blobs,
            clock=self.clock,
            branding=self.branding,
            audit=self.audit,
            listeners=listeners,
            evidence_lock=evidence_lock,
        )

    def risk_service(self) -> RiskService:
        """The real risk register over the fakes."""
        return RiskService(
            risks=self.risks, documents=self.documents, templates=self.templates, audit=self.audit, clock=self.clock
        )

    def envelope_service(self, listeners: Sequence[EnvelopeOutcomeListener] = ()) -> EnvelopeService:
        """The real envelope service over the fakes, telling ``listeners`` of outcomes."""
        return EnvelopeService(
            envelopes=self.envelopes,
            documents=self.documents,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            rules=self.rules,
            blobs=self.blobs,
            signed=self.signed,
            listeners=listeners,
        )

    def dunning(self, cache: MutableMapping[str, ClientTerms] | None = None) -> DunningService:
        """The real dunning service over the fakes, with the shipped default ladder."""
        return DunningService(
            invoices=self.invoices,
            steps=self.steps,
            clients=self.clients,
            signed=self.signed,
            documents=self.documents,
            document_service=self.document_service(),
            templates=self.templates,
            mailer=self.mailer,
            audit=self.audit,
            clock=self.clock,
            default_policy=self.policy,
            notice=self.notice,
            cache=cache,
        )

    def units(self) -> UnitFactory:
        """Return a unit factory for ``run_dunning``: each unit is one fake transaction."""
        cache: dict[str, ClientTerms] = {}

        @contextmanager
        def open_unit() -> Iterator[DunningService]:
            with self.database.begin():
                yield self.dunning(cache)

        return open_unit

    @contextmanager
    def unit(self) -> Iterator[DunningService]:
        """One transaction around a dunning call made by a person (an approval, an override)."""
        with self.database.begin():
            yield self.dunning()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction over every database fake (a request's unit of work)."""
        with self.database.begin():
            yield

    # -- records -------------------------------------------------------------------------------------

    def add_client(self, legal_name: str = "Northwind Traders Ltd", email: str = "ap@northwind.example") -> Client:
        """Store a client in British Columbia and return it."""
        now = self.clock.now()
        client = Client(
            id=str(uuid.uuid4()),
            legal_name=legal_name,
            short_name=legal_name.split()[0],
            address="200 Burrard Street, Vancouver BC",
            jurisdiction="CA-BC",
            billing_email=email,
            primary_contact=Contact(name="Dana Fox", title="Controller", email=email),
            notes="",
            created_at=now,
            updated_at=now,
        )
        self.clients.add(client)
        return client

    def add_invoice(self, client: Client, number: str, due_on: date, amount_minor: int = 125_050) -> InvoiceRecord:
        """Store an unpaid CAD invoice issued 30 days before ``due_on`` and return it."""
        now = self.clock.now()
        invoice = InvoiceRecord(
            id=str(uuid.uuid4()),
            number=number,
            client_id=client.id,
            currency="CAD",
            amount_minor=amount_minor,
            issued_on=due_on - timedelta(days=30),
            due_on=due_on,
            created_at=now,
            updated_at=now,
        )
        self.invoices.add(invoice)
        return invoice

    def set_day(self, day: date) -> None:
        """Move the clock to noon UTC on ``day``."""
        self.clock.at = datetime.combine(day, time(12), tzinfo=UTC)
