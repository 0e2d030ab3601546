"""FastAPI dependencies of the risk register."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import RuntimeDep, SessionDep
from services.risks import RiskService
from undersign.audit_runtime import risk_service


def get_risk_service(session: SessionDep, runtime: RuntimeDep) -> RiskService:
    """Return the risk service bound to this request's session."""
    return risk_service(session, runtime)


RiskServiceDep = Annotated[RiskService, Depends(get_risk_service, scope="function")]
