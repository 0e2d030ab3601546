"""FastAPI dependencies of legal holds and retention changes: services over the session and the object store."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from adapters.signing_kit import retention_policy
from api.deps import RuntimeDep, SessionDep
from services.legal_holds import HoldStore, LegalHoldService
from services.retention import RetentionService, RetentionStore
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.legal_hold_repository import SqlLegalHoldRepository, sealed_by_kind


def legal_hold_service(session: SessionDep, runtime: RuntimeDep) -> LegalHoldService:
    """Return the legal hold service bound to this request's session."""
    return LegalHoldService(
        holds=SqlLegalHoldRepository(session),
        # The S3 store implements per-version legal holds; the generic BlobStore port does not name it.
        store=cast(HoldStore, runtime.blob_store),
        audit=SqlAuditTrail(session, runtime.clock),
        clock=runtime.clock,
    )


LegalHoldServiceDep = Annotated[LegalHoldService, Depends(legal_hold_service, scope="function")]


def retention_service(session: SessionDep, runtime: RuntimeDep) -> RetentionService:
    """Return the retention service bound to this request's session."""
    return RetentionService(
        sealed=lambda client_id: sealed_by_kind(session, client_id),
        client_exists=lambda client_id: SqlClientRepository(session).get(client_id) is not None,
        store=cast(RetentionStore, runtime.blob_store),
        policy=retention_policy(runtime.settings),
        audit=SqlAuditTrail(session, runtime.clock),
        clock=runtime.clock,
    )


RetentionServiceDep = Annotated[RetentionService, Depends(retention_service, scope="function")]
