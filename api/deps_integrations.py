"""Wiring of the integrations area: clients' external ids (and, later, webhooks)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import RuntimeDep, SessionDep
from services.external_ids import ExternalIdService
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.external_id_repository import SqlExternalIdRepository


def external_id_service(session: SessionDep, runtime: RuntimeDep) -> ExternalIdService:
    """Return the external id service bound to this request's session."""
    return ExternalIdService(
        SqlExternalIdRepository(session),
        SqlClientRepository(session),
        runtime.clock,
        SqlAuditTrail(session, runtime.clock),
    )


ExternalIdServiceDep = Annotated[ExternalIdService, Depends(external_id_service, scope="function")]
