"""Dependencies of the envelope, signing and verification routes (and the ``run-due`` envelope jobs).

The signing kit (sealing key, completer, mailer, page images) is built once per app on first use
and kept on ``app.state``. Outcome listeners (the risk register) are built per unit of work from
``LISTENER_FACTORIES`` (empty until the lead wires one in), plus any session-independent ones set on
``app.state.envelope_listeners``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from adapters.signing_kit import SigningKit, build_signing_kit
from api.client_address import client_ip
from api.deps import RuntimeDep, SessionDep
from domain.errors import UndersignError
from domain.ports import EnvelopeOutcomeListener
from services.completion import CompletionService
from services.documents import DocumentThaw
from services.envelopes import EnvelopeRecorder, EnvelopeService, Invitations, SigningRules
from services.signing import Caller, SigningService
from services.verification import VerificationService
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.document_repository import SqlDocumentRepository
from storage.envelope_repository import SqlEnvelopeRepository
from storage.signed_document_repository import SqlSignedDocumentRepository
from undersign.audit_runtime import risk_service
from undersign.runtime import Runtime
from undersign.settings import Mode

log = logging.getLogger("undersign.envelopes")
_KIT_LOCK = threading.Lock()

ListenerFactory = Callable[[Session, Runtime], EnvelopeOutcomeListener]
# Outcome listeners (e.g. the risk register) are wired here: each factory builds a listener on the unit
# of work's session, so its writes commit or roll back with the completion or decline they react to.
# Used by the API and by `run-due` alike.
LISTENER_FACTORIES: list[ListenerFactory] = [
    lambda session, _runtime: DocumentThaw(SqlDocumentRepository(session)),
    risk_service,  # signing accepts a risk letter, declining records the refusal
]


def listeners_for(
    session: Session, runtime: Runtime, extra: Sequence[EnvelopeOutcomeListener] = ()
) -> list[EnvelopeOutcomeListener]:
    """Return the wired outcome listeners on ``session`` plus ``extra`` ones (tests add fakes there)."""
    return [factory(session, runtime) for factory in LISTENER_FACTORIES] + list(extra)


def signing_rules(runtime: Runtime) -> SigningRules:
    """Return the signing rules from the runtime's settings."""
    s = runtime.settings
    return SigningRules(
        link_base=s.server.public_url,
        consent_version=s.signing.consent_version,
        link_expiry_days=s.signing.link_expiry_days,
        reminder_every_days=s.signing.reminder_every_days,
        max_reminders=s.signing.max_reminders,
        remind_min_interval=timedelta(minutes=s.signing.remind_min_interval_minutes),
        otp_ttl_minutes=s.signing.otp_ttl_minutes,
        otp_max_attempts=s.signing.otp_max_attempts,
        announce_links=s.mode is Mode.DEVELOPMENT,
        refuse_unreviewed=s.signing.refuse_unreviewed
        if s.signing.refuse_unreviewed is not None
        else s.mode is not Mode.DEVELOPMENT,
    )


def get_kit(request: Request) -> SigningKit:
    """Return the app's signing kit, building it on first use."""
    state = request.app.state
    kit: SigningKit | None = getattr(state, "signing_kit", None)
    if kit is None:
        with _KIT_LOCK:
            kit = getattr(state, "signing_kit", None)
            if kit is None:
                runtime: Runtime = state.runtime
                kit = build_signing_kit(runtime.settings, runtime.clock.now())
                state.signing_kit = kit
    return kit


KitDep = Annotated[SigningKit, Depends(get_kit)]


def listeners_of(request: Request) -> list[EnvelopeOutcomeListener]:
    """Return extra outcome listeners set on ``app.state.envelope_listeners`` (session-independent ones)."""
    return list(getattr(request.app.state, "envelope_listeners", []))


def envelope_service_for(
    session: Session, runtime: Runtime, kit: SigningKit, listeners: Sequence[EnvelopeOutcomeListener] = ()
) -> EnvelopeService:
    """Build the envelope service on one unit of work."""
    return EnvelopeService(
        envelopes=SqlEnvelopeRepository(session),
        documents=SqlDocumentRepository(session),
        mailer=kit.mailer,
        audit=SqlAuditTrail(session, runtime.clock),
        clock=runtime.clock,
        rules=signing_rules(runtime),
        blobs=runtime.blob_store,
        signed=SqlSignedDocumentRepository(session),
        listeners=listeners,
    )


def completion_service_for(
    session: Session, runtime: Runtime, kit: SigningKit, listeners: Sequence[EnvelopeOutcomeListener] = ()
) -> CompletionService:
    """Build the completion service on one unit of work."""
    envelopes = SqlEnvelopeRepository(session)
    return CompletionService(
        envelopes=envelopes,
        documents=SqlDocumentRepository(session),
        signed=SqlSignedDocumentRepository(session),
        blobs=runtime.blob_store,
        mailer=kit.mailer,
        recorder=EnvelopeRecorder(envelopes, SqlAuditTrail(session, runtime.clock), runtime.clock),
        clock=runtime.clock,
        completer=kit.completer,
        retention=kit.retention,
        listeners=listeners,
    )


def complete_in_own_transaction(
    runtime: Runtime, kit: SigningKit, envelope_id: str, extra: Sequence[EnvelopeOutcomeListener] = ()
) -> str | None:
    """Try to seal and file one envelope in its own unit of work; return its status (``None`` on error)."""
    try:
        with unit_of_work(runtime.sessions) as session:
            listeners = listeners_for(session, runtime, extra)
            return completion_service_for(session, runtime, kit, listeners).complete(envelope_id).status.value
    except UndersignError as exc:
        # Left `completing`; run-due retries. The signer's signature is already committed.
        log.warning("completion of envelope %s failed, will retry: %s", envelope_id, exc.detail)
        return None


def envelope_service(session: SessionDep, runtime: RuntimeDep, kit: KitDep, request: Request) -> EnvelopeService:
    """Return the envelope service bound to this request."""
    return envelope_service_for(session, runtime, kit, listeners_for(session, runtime, listeners_of(request)))


EnvelopeServiceDep = Annotated[EnvelopeService, Depends(envelope_service, scope="function")]


def signing_service(session: SessionDep, runtime: RuntimeDep, kit: KitDep, request: Request) -> SigningService:
    """Return the signer-facing service bound to this request."""
    envelopes = SqlEnvelopeRepository(session)
    recorder = EnvelopeRecorder(envelopes, SqlAuditTrail(session, runtime.clock), runtime.clock)
    rules = signing_rules(runtime)
    return SigningService(
        envelopes=envelopes,
        blobs=runtime.blob_store,
        pages=kit.pages,
        invitations=Invitations(envelopes, kit.mailer, recorder, runtime.clock, rules),
        recorder=recorder,
        mailer=kit.mailer,
        clock=runtime.clock,
        rules=rules,
        listeners=listeners_for(session, runtime, listeners_of(request)),
    )


SigningServiceDep = Annotated[SigningService, Depends(signing_service, scope="function")]


def completion_runner(request: Request, runtime: RuntimeDep, kit: KitDep) -> Callable[[str], str | None]:
    """Return a function that completes an envelope in its own transaction (for a background task)."""
    listeners = listeners_of(request)
    return lambda envelope_id: complete_in_own_transaction(runtime, kit, envelope_id, listeners)


CompletionRunnerDep = Annotated[Callable[[str], str | None], Depends(completion_runner)]


def signer_caller(request: Request, runtime: RuntimeDep) -> Caller:
    """Return where this signer request came from (forwarded headers only from trusted proxies)."""
    ip = client_ip(request, runtime.settings.server.trusted_proxies)
    agent = (request.headers.get("user-agent") or "")[:512] or None
    return Caller(ip=ip, user_agent=agent)


CallerDep = Annotated[Caller, Depends(signer_caller)]


def verification_service(session: SessionDep, kit: KitDep) -> VerificationService:
    """Return the verification service bound to this request."""
    return VerificationService(
        signed=SqlSignedDocumentRepository(session),
        envelopes=SqlEnvelopeRepository(session),
        trust_roots=kit.key.trust_roots(),
        tsa_roots=kit.tsa_roots,
    )


VerificationServiceDep = Annotated[VerificationService, Depends(verification_service, scope="function")]
