"""Wiring of the audit area (checkpoints, verification, search, risk register) over a ``Runtime`` and a session.

Shared by the API dependencies, the CLI and the ``run-due`` job, so each builds the same service
over the same adapters.
"""

from __future__ import annotations

from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.mail import mailer_from_settings
from adapters.service_key import service_key
from domain.actor import Actor
from domain.sealing.keys import SealingKey
from services.audit import AuditService, CheckpointPolicy
from services.risks import RiskService
from storage.audit_trail import SqlAuditTrail
from storage.checkpoint_repository import SqlCheckpointRepository
from storage.database import unit_of_work
from storage.document_repository import SqlDocumentRepository
from storage.risk_repository import SqlRiskRepository
from storage.tables import audit_head
from undersign.runtime import Runtime

SCHEDULER = Actor(name="scheduler", kind="system")


def runtime_service_key(runtime: Runtime) -> SealingKey:
    """Return the service key that signs checkpoints (loaded once per process)."""
    return service_key(runtime.settings, runtime.clock.now())


def checkpoint_policy(runtime: Runtime) -> CheckpointPolicy:
    """Return the Object Lock policy for checkpoint documents (mode of the bucket's sealed files)."""
    settings = runtime.settings
    return CheckpointPolicy(
        retention_mode=settings.s3.retention_mode, retention_years=settings.audit.checkpoint_retention_years
    )


def audit_service(session: Session, runtime: Runtime) -> AuditService:
    """Return the audit service bound to ``session``."""
    key = runtime_service_key(runtime)
    return AuditService(
        log=SqlAuditTrail(session, runtime.clock),
        checkpoints=SqlCheckpointRepository(session),
        blobs=runtime.blob_store,
        clock=runtime.clock,
        certificate=key.certificate,
        signing_key=key.private_key,
        policy=checkpoint_policy(runtime),
    )


def checkpoint_due(runtime: Runtime) -> dict[str, int]:
    """The ``run-due`` job: sign and file a checkpoint when the head moved since the last one."""
    with unit_of_work(runtime.sessions) as session:
        # Hold the chain head while deciding and signing: two hosts running run-due at once then
        # sign the head once (the second sees the first's checkpoint), and the signed head is the head.
        session.execute(select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update()).one()
        service = audit_service(session, runtime)
        if SqlAuditTrail(session, runtime.clock).head() is None:
            return {"signed": 0}
        stored = service.checkpoint(SCHEDULER, only_if_changed=True)
    return {"signed": 0 if stored is None else 1}


def risk_service(session: Session, runtime: Runtime) -> RiskService:
    """Return the risk register service bound to ``session`` (also the document/envelope listener)."""
    return RiskService(
        risks=SqlRiskRepository(session),
        documents=SqlDocumentRepository(session),
        templates=runtime.templates,
        audit=SqlAuditTrail(session, runtime.clock),
        clock=runtime.clock,
    )


def reviews_due(runtime: Runtime) -> dict[str, int]:
    """The ``run-due`` job: risk records whose review date came turn review-due (MSP reminded), then expire."""
    settings = runtime.settings
    sender = parseaddr(settings.mail.sender)[1]
    remind = tuple(settings.audit.risk_reminder_to) or ((sender,) if "@" in sender else ())
    today = runtime.clock.now().date()
    with unit_of_work(runtime.sessions) as session:
        service = risk_service(session, runtime)
        flagged = service.flag_reviews(
            SCHEDULER, today, mailer_from_settings(runtime.settings.mail, runtime.settings.outbox_dir), remind
        )
        expired = service.expire_overdue(SCHEDULER, today, settings.audit.risk_expiry_grace_days)
    return {"review_due": flagged, "expired": expired}
