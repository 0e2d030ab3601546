"""The ``run-due`` job that forgets idempotency keys past their 24 hours."""

from __future__ import annotations

from storage.idempotency_store import SqlIdempotencyStore
from undersign.runtime import Runtime


def purge_idempotency_keys(runtime: Runtime) -> dict[str, int]:
    """Delete every expired idempotency key (a stored answer is kept no longer than promised)."""
    return {"purged": SqlIdempotencyStore(runtime.sessions).purge(runtime.clock.now())}
