"""FastAPI dependency of legal holds: the service over this request's session and the object store."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends

from api.deps import RuntimeDep, SessionDep
from services.legal_holds import HoldStore, LegalHoldService
from storage.audit_trail import SqlAuditTrail
from storage.legal_hold_repository import SqlLegalHoldRepository


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
