"""The use cases of one unit of work: every service, built over one database session and the runtime.

The API's dependencies, the CLI commands and the ``run-due`` jobs all build their services here, so
a request, a cron run and a shell command get the same repositories, listeners and settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from domain.ports import DocumentPages, EnvelopeOutcomeListener, TaskQueue
from undersign.runtime import Runtime
from undersign.settings import Mode, Settings

# Each service is imported where it is built: a command that needs one service (``keys list``) does
# not load the document renderer, the sealing libraries or the ladder with it.
if TYPE_CHECKING:
    from adapters.passwords import Argon2idHasher
    from services.api_keys import ApiKeyService
    from services.archive import ArchiveService
    from services.audit import AuditService, CheckpointPolicy
    from services.clients import ClientService
    from services.completion import CompletionService
    from services.documents import DocumentService
    from services.dunning import ClientTerms, DunningService
    from services.dunning_notices import NoticeSettings
    from services.envelopes import EnvelopeRecorder, EnvelopeService, SigningRules
    from services.external_ids import ExternalIdService
    from services.invoice_imports import InvoiceImporter
    from services.invoices import InvoiceService
    from services.legal_holds import LegalHoldService
    from services.refusal_records import RefusalRecords
    from services.retention import RetentionService
    from services.risks import RiskService
    from services.sign_in import SignInService
    from services.signing import SigningService
    from services.template_reviews import TemplateReviewService
    from services.users import UserService
    from services.verification import VerificationService
    from services.webhooks import WebhookService
    from storage.audit_trail import SqlAuditTrail
    from storage.envelope_repository import SqlEnvelopeRepository


def signing_rules(runtime: Runtime) -> SigningRules:
    """Return the signing rules from the runtime's settings."""
    from services.envelopes import SigningRules

    s = runtime.settings
    return SigningRules(
        link_base=s.server.public_url,
        consent_version=s.signing.consent_version,
        paper_copy_contact=s.signing.paper_copy_contact,
        link_expiry_days=s.signing.link_expiry_days,
        reminder_every_days=s.signing.reminder_every_days,
        max_reminders=s.signing.max_reminders,
        remind_min_interval=timedelta(minutes=s.signing.remind_min_interval_minutes),
        otp_ttl_minutes=s.signing.otp_ttl_minutes,
        otp_max_attempts=s.signing.otp_max_attempts,
        announce_links=s.mode is Mode.DEVELOPMENT,
        # Unreviewed drafts may be sent for signature in development only, unless a setting says otherwise.
        refuse_unreviewed=s.signing.refuse_unreviewed
        if s.signing.refuse_unreviewed is not None
        else s.mode is not Mode.DEVELOPMENT,
        notify_email=s.signing.notify_email,
        notify_name=s.signing.notify_name,
        embed_origins=tuple(s.signing.embed_origins),
        embed_ttl_minutes=s.signing.embed_ttl_minutes,
    )


def notice_settings(settings: Settings) -> NoticeSettings:
    """Return what notices say about the MSP's billing contact and how to pay."""
    from services.dunning_notices import NoticeSettings

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


def checkpoint_policy(runtime: Runtime) -> CheckpointPolicy:
    """Return the Object Lock policy for checkpoint documents (mode of the bucket's sealed files)."""
    from services.audit import CheckpointPolicy

    settings = runtime.settings
    return CheckpointPolicy(
        retention_mode=settings.s3.retention_mode, retention_years=settings.audit.checkpoint_retention_years
    )


def pause_after_seal(gate: Path | None) -> Callable[[str], None] | None:
    """Return the testing hook that holds a completion between filing its sealed copy and recording it.

    With ``UNDERSIGN_TASKS__PAUSE_AFTER_SEAL_FILE`` set, the worker writes ``<file>.reached`` (naming
    the envelope) and waits until ``<file>`` exists: a test kills it there, at the worst moment.
    """
    if gate is None:
        return None

    def pause(envelope_id: str) -> None:
        gate.with_name(gate.name + ".reached").write_text(envelope_id)
        while not gate.exists():
            time.sleep(0.05)

    return pause


class ServiceFactory:
    """Builds the services of one unit of work; each call returns a new service over the same session."""

    def __init__(self, session: Session, runtime: Runtime) -> None:
        self.session = session
        self.runtime = runtime

    def _audit_trail(self) -> SqlAuditTrail:

        from storage.audit_trail import SqlAuditTrail

        return SqlAuditTrail(self.session, self.runtime.clock)

    def api_keys(self) -> ApiKeyService:
        """The API key service (authentication, create, list, revoke)."""
        from services.api_keys import ApiKeyService
        from storage.api_key_repository import SqlApiKeyRepository
        from storage.user_repository import SqlUserRepository

        return ApiKeyService(
            SqlApiKeyRepository(self.session),
            self.runtime.clock,
            self._audit_trail(),
            users=SqlUserRepository(self.session, self.runtime.secret_box),
        )

    def _password_hasher(self) -> Argon2idHasher:
        from adapters.passwords import Argon2idHasher

        c = self.runtime.settings.console
        return Argon2idHasher(
            time_cost=c.argon2_time_cost, memory_cost=c.argon2_memory_kib, parallelism=c.argon2_parallelism
        )

    def users(self) -> UserService:
        """The console's users: invitations, passwords, roles, disabling."""
        from services.users import LinkRules, UserService
        from storage.user_repository import SqlUserRepository

        s = self.runtime.settings
        rules = LinkRules(
            link_base=s.server.public_url,
            ttl=timedelta(hours=s.console.invite_hours),
            msp_name=s.branding.msp_name,
        )
        return UserService(
            SqlUserRepository(self.session, self.runtime.secret_box),
            self._password_hasher(),
            self.runtime.clock,
            self._audit_trail(),
            self.runtime.mailer,
            rules,
        )

    def sign_in(self) -> SignInService:
        """Signing in to the console: passwords, second factor, single sign-on, sessions."""
        from adapters.totp import AuthenticatorCodes
        from services.sign_in import SessionRules, SignInService
        from storage.user_repository import SqlUserRepository

        c = self.runtime.settings.console
        rules = SessionRules(
            lifetime=timedelta(hours=c.session_hours),
            idle=timedelta(minutes=c.idle_minutes),
            lock_for=timedelta(minutes=c.lock_minutes),
            issuer=self.runtime.settings.branding.msp_name,
        )
        return SignInService(
            SqlUserRepository(self.session, self.runtime.secret_box),
            self._password_hasher(),
            AuthenticatorCodes(),
            self.runtime.clock,
            self._audit_trail(),
            rules,
        )

    def clients(self) -> ClientService:
        """The client register."""
        from services.clients import ClientService
        from storage.client_repository import SqlClientRepository

        return ClientService(SqlClientRepository(self.session), self.runtime.clock, self._audit_trail())

    def documents(self, *, with_listeners: bool = True) -> DocumentService:
        """Document assembly, versions and files; the risk register listens to new letters."""
        from adapters.signing_kit import retention_policy
        from services.documents import DocumentService
        from storage.client_repository import SqlClientRepository
        from storage.document_repository import SqlDocumentRepository
        from storage.template_review_repository import SqlTemplateReviewRepository

        runtime = self.runtime
        return DocumentService(
            documents=SqlDocumentRepository(self.session),
            clients=SqlClientRepository(self.session),
            templates=runtime.templates,
            renderer=runtime.renderer,
            blobs=runtime.blob_store,
            clock=runtime.clock,
            branding=runtime.branding,
            audit=self._audit_trail(),
            budget=runtime.render_budget,
            listeners=[self.risks()] if with_listeners else [],
            evidence_lock=retention_policy(runtime.settings),
            render_parallelism=getattr(runtime.renderer, "parallelism", 1),
            reviews=SqlTemplateReviewRepository(self.session),
        )

    def template_reviews(self) -> TemplateReviewService:
        """Counsel's reviews of the template library (admins mark a template text reviewed)."""
        from services.template_reviews import TemplateReviewService
        from storage.template_review_repository import SqlTemplateReviewRepository

        return TemplateReviewService(
            self.runtime.templates, SqlTemplateReviewRepository(self.session), self.runtime.clock, self._audit_trail()
        )

    def risks(self) -> RiskService:
        """The risk register (also a document and envelope listener)."""
        from services.risks import RiskService
        from storage.document_repository import SqlDocumentRepository
        from storage.risk_repository import SqlRiskRepository

        return RiskService(
            risks=SqlRiskRepository(self.session),
            documents=SqlDocumentRepository(self.session),
            templates=self.runtime.templates,
            audit=self._audit_trail(),
            clock=self.runtime.clock,
        )

    def audit(self) -> AuditService:
        """Chain verification, search and signed checkpoints."""
        from services.audit import AuditService
        from storage.checkpoint_repository import SqlCheckpointRepository

        runtime = self.runtime
        key = runtime.service_key
        trail = self._audit_trail()
        return AuditService(
            log=trail,
            trail=trail,
            checkpoints=SqlCheckpointRepository(self.session),
            blobs=runtime.blob_store,
            clock=runtime.clock,
            certificate=key.certificate,
            signing_key=key.private_key,
            policy=checkpoint_policy(runtime),
        )

    def invoices(self) -> InvoiceService:
        """Invoices and their payment state."""
        from services.invoices import InvoiceService
        from storage.client_repository import SqlClientRepository
        from storage.invoice_repository import SqlInvoiceRepository

        return InvoiceService(
            SqlInvoiceRepository(self.session),
            SqlClientRepository(self.session),
            self.runtime.clock,
            self._audit_trail(),
        )

    def dunning(self, cache: MutableMapping[str, ClientTerms] | None = None) -> DunningService:
        """The payment escalation ladder; ``cache`` shares client terms across the units of one run."""
        from adapters.ladder_policy_file import read_ladder_policy
        from services.dunning import DunningService
        from storage.client_repository import SqlClientRepository
        from storage.document_repository import SqlDocumentRepository
        from storage.dunning_repository import SqlDunningRepository
        from storage.invoice_repository import SqlInvoiceRepository
        from storage.signed_document_repository import SqlSignedDocumentRepository

        runtime = self.runtime
        return DunningService(
            invoices=SqlInvoiceRepository(self.session),
            steps=SqlDunningRepository(self.session),
            clients=SqlClientRepository(self.session),
            signed=SqlSignedDocumentRepository(self.session),
            documents=SqlDocumentRepository(self.session),
            document_service=self.documents(with_listeners=False),
            templates=runtime.templates,
            mailer=runtime.mailer,
            audit=self._audit_trail(),
            clock=runtime.clock,
            default_policy=read_ladder_policy(runtime.settings.dunning.policy_path),
            notice=notice_settings(runtime.settings),
            cache=cache,
        )

    def envelope_listeners(self, extra: Sequence[EnvelopeOutcomeListener] = ()) -> list[EnvelopeOutcomeListener]:
        """The outcome listeners of envelopes on this session, then the runtime's and ``extra`` ones.

        Each listener writes on this session, so its changes commit or roll back with the completion
        or decline it reacts to: a thawed draft, an accepted or refused risk.
        """
        from services.documents import DocumentThaw
        from storage.document_repository import SqlDocumentRepository

        wired: list[EnvelopeOutcomeListener] = [
            DocumentThaw(SqlDocumentRepository(self.session)),
            self.risks(),  # signing accepts a risk letter, declining records the refusal
            self.refusal_records(),  # a decline files a sealed refusal record (evidence) under Object Lock
        ]
        return wired + list(self.runtime.envelope_listeners) + list(extra)

    def refusal_records(self) -> RefusalRecords:
        """The listener that files a sealed refusal record when a signer declines."""
        from domain.audit import certificate_fingerprint
        from domain.blobs import Retention
        from domain.calendar_years import add_years
        from services.refusal_records import RefusalRecords
        from storage.envelope_repository import SqlEnvelopeRepository
        from storage.evidence_queries import SqlSubjectLog

        runtime = self.runtime
        s3 = runtime.settings.s3
        trail = self._audit_trail()
        seal = runtime.evidence_seal

        def head_seq() -> int:
            head = trail.head()
            return 0 if head is None else head.seq

        years = max(s3.waiver_retention_years, s3.contract_retention_years)
        return RefusalRecords(
            envelopes=SqlEnvelopeRepository(self.session),
            log=SqlSubjectLog(self.session),
            head_seq=head_seq,
            trail=trail,
            blobs=runtime.blob_store,
            writer=seal.writer,
            seal=seal.seal,
            retention=lambda now: Retention(mode=s3.retention_mode, retain_until=add_years(now, years)),
            fingerprint=certificate_fingerprint(runtime.service_key.certificate),
        )

    def _recorder(self, envelopes: SqlEnvelopeRepository) -> EnvelopeRecorder:

        from services.envelopes import EnvelopeRecorder

        return EnvelopeRecorder(envelopes, self._audit_trail(), self.runtime.clock)

    def envelopes(self, extra: Sequence[EnvelopeOutcomeListener] = ()) -> EnvelopeService:
        """Envelopes: send, void, remind, expire."""
        from services.envelopes import EnvelopeService
        from storage.document_repository import SqlDocumentRepository
        from storage.envelope_repository import SqlEnvelopeRepository
        from storage.signed_document_repository import SqlSignedDocumentRepository

        runtime = self.runtime
        return EnvelopeService(
            envelopes=SqlEnvelopeRepository(self.session),
            documents=SqlDocumentRepository(self.session),
            mailer=runtime.mailer,
            audit=self._audit_trail(),
            clock=runtime.clock,
            rules=signing_rules(runtime),
            blobs=runtime.blob_store,
            signed=SqlSignedDocumentRepository(self.session),
            listeners=self.envelope_listeners(extra),
            catalogs=runtime.catalogs,
            pages=self.page_images(),
        )

    def page_images(self) -> DocumentPages:
        """Which sent PDFs have their page images stored; asking for the others enqueues their render."""
        from storage.page_image_repository import SqlPageImages

        return SqlPageImages(self.session, self.tasks(), self.runtime.clock.now(), self.runtime.settled_rows)

    def signing(self) -> SigningService:
        """What a signer does through the link: consent, code, view, sign, decline."""
        from services.envelopes import Invitations
        from services.reading_view import ReadingCopies
        from services.signing import SigningService
        from storage.document_repository import SqlDocumentRepository
        from storage.envelope_repository import SqlEnvelopeRepository

        runtime = self.runtime
        envelopes = SqlEnvelopeRepository(self.session, runtime.settled_rows)
        recorder = self._recorder(envelopes)
        rules = signing_rules(runtime)
        return SigningService(
            envelopes=envelopes,
            blobs=runtime.blob_store,
            pages=self.page_images(),
            invitations=Invitations(envelopes, runtime.mailer, recorder, runtime.clock, rules, runtime.catalogs),
            recorder=recorder,
            mailer=runtime.mailer,
            clock=runtime.clock,
            rules=rules,
            tasks=self.tasks(),
            listeners=self.envelope_listeners(),
            catalogs=runtime.catalogs,
            reading=ReadingCopies(runtime.templates, SqlDocumentRepository(self.session), runtime.renderer),
        )

    def tasks(self) -> TaskQueue:
        """The task queue on this unit of work (tasks commit with the change that needs them)."""
        return self.runtime.task_queue(self.session)

    def completion(self) -> CompletionService:
        """Sealing and filing a fully signed envelope."""
        from services.completion import CompletionService
        from storage.document_repository import SqlDocumentRepository
        from storage.envelope_repository import SqlEnvelopeRepository
        from storage.signed_document_repository import SqlSignedDocumentRepository

        runtime = self.runtime
        envelopes = SqlEnvelopeRepository(self.session)
        kit = runtime.kit
        return CompletionService(
            envelopes=envelopes,
            documents=SqlDocumentRepository(self.session),
            signed=SqlSignedDocumentRepository(self.session),
            blobs=runtime.blob_store,
            mailer=runtime.mailer,
            recorder=self._recorder(envelopes),
            clock=runtime.clock,
            completer=kit.completer,
            retention=kit.retention,
            listeners=self.envelope_listeners(),
            catalogs=runtime.catalogs,
            after_filed=pause_after_seal(runtime.settings.tasks.pause_after_seal_file),
        )

    def archive(self) -> ArchiveService:
        """Fresh archive timestamps for long-term seals."""
        from services.archive import ArchiveService
        from storage.envelope_repository import SqlEnvelopeRepository
        from storage.signed_document_repository import SqlSignedDocumentRepository

        kit = self.runtime.kit
        return ArchiveService(
            signed=SqlSignedDocumentRepository(self.session),
            envelopes=SqlEnvelopeRepository(self.session),
            blobs=self.runtime.blob_store,
            archiver=kit.completer,
            retention=kit.retention,
            audit=self._audit_trail(),
            clock=self.runtime.clock,
        )

    def legal_holds(self) -> LegalHoldService:
        """Legal holds on a client's, an envelope's or a document's filed records."""
        from typing import cast

        from services.legal_holds import HoldStore, LegalHoldService
        from storage.legal_hold_repository import SqlLegalHoldRepository

        return LegalHoldService(
            holds=SqlLegalHoldRepository(self.session),
            # The S3 store implements per-version legal holds; the generic BlobStore port does not name it.
            store=cast(HoldStore, self.runtime.blob_store),
            audit=self._audit_trail(),
            clock=self.runtime.clock,
        )

    def retention(self) -> RetentionService:
        """Retention counted from the end of a client relationship."""
        from typing import cast

        from adapters.signing_kit import retention_policy
        from services.retention import RetentionService, RetentionStore
        from storage.client_repository import SqlClientRepository
        from storage.legal_hold_repository import sealed_by_kind

        session = self.session
        return RetentionService(
            sealed=lambda client_id: sealed_by_kind(session, client_id),
            client_exists=lambda client_id: SqlClientRepository(session).get(client_id) is not None,
            store=cast(RetentionStore, self.runtime.blob_store),
            policy=retention_policy(self.runtime.settings),
            audit=self._audit_trail(),
            clock=self.runtime.clock,
        )

    def webhooks(self) -> WebhookService:
        """Webhook endpoints: registration, secrets, the delivery log and replays."""
        from adapters.webhook_sender import resolve_host
        from services.webhooks import WebhookService
        from storage.webhook_repository import SqlWebhookRepository

        return WebhookService(
            SqlWebhookRepository(self.session),
            self.runtime.clock,
            self._audit_trail(),
            allow_private=self.runtime.settings.webhooks_may_reach_private,
            resolver=resolve_host,
        )

    def external_ids(self) -> ExternalIdService:
        """Clients' ids in the MSP's PSA and accounting tools."""
        from services.external_ids import ExternalIdService
        from storage.client_repository import SqlClientRepository
        from storage.external_id_repository import SqlExternalIdRepository

        return ExternalIdService(
            SqlExternalIdRepository(self.session),
            SqlClientRepository(self.session),
            self.runtime.clock,
            self._audit_trail(),
        )

    def invoice_importer(self) -> InvoiceImporter:
        """Invoices and payments read from CSV exports, through the invoice service."""
        from services.invoice_imports import InvoiceImporter
        from storage.invoice_repository import SqlInvoiceRepository

        return InvoiceImporter(self.invoices(), self.external_ids(), SqlInvoiceRepository(self.session))

    def verification(self) -> VerificationService:
        """Checking an uploaded PDF against the sealed copies on file."""
        from services.verification import VerificationService
        from storage.envelope_repository import SqlEnvelopeRepository
        from storage.signed_document_repository import SqlSignedDocumentRepository

        kit = self.runtime.kit
        return VerificationService(
            signed=SqlSignedDocumentRepository(self.session),
            envelopes=SqlEnvelopeRepository(self.session),
            trust_roots=kit.key.trust_roots(),
            tsa_roots=kit.tsa_roots,
        )
