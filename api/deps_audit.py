"""FastAPI dependencies of the audit area: the audit service for this request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import RuntimeDep, SessionDep
from services.audit import AuditService
from undersign.audit_runtime import audit_service


def get_audit_service(session: SessionDep, runtime: RuntimeDep) -> AuditService:
    """Return the audit service bound to this request's session."""
    return audit_service(session, runtime)


AuditServiceDep = Annotated[AuditService, Depends(get_audit_service, scope="function")]
