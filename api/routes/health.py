"""Health: ``/healthz`` (the process is up) and ``/readyz`` (its dependencies are usable)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep
from services.readiness import check_readiness

router = APIRouter(tags=["health"])

# Seconds a load balancer or client should wait before asking again: an outage of the store or the
# database is usually over in seconds (a restart), and a short hint keeps retries from piling up.
READY_RETRY_AFTER_SECONDS = 5


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer 200 while the process can serve requests at all."""
    return {"status": "ok"}


_NOT_READY = {
    "description": "A dependency is not usable; each failing check says why. Retry after `Retry-After` seconds.",
    "content": {
        "application/json": {
            "example": {
                "status": "unavailable",
                "checks": {"database": "ok", "migrations": "ok", "object_store": "The object store does not answer."},
            }
        }
    },
}


@router.get("/readyz", responses={503: _NOT_READY})
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Answer 200 when the database is reachable and current and the bucket is versioned, else 503."""
    report = check_readiness(runtime.readiness_probes())
    headers = {"Cache-Control": "no-store"}
    if not report.ready:
        headers["Retry-After"] = str(READY_RETRY_AFTER_SECONDS)
    return JSONResponse(report.as_dict(), status_code=200 if report.ready else 503, headers=headers)
