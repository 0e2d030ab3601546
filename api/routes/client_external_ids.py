"""``/v1/clients/{id}/external-ids``: a client's ids in the PSA, QuickBooks and Xero."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClientWriterDep, ExternalIdServiceDep, ReaderDep
from domain.external_ids import ExternalIds

router = APIRouter(prefix="/v1/clients", tags=["clients"])


@router.put("/{client_id}/external-ids", response_model=ExternalIds)
def set_external_ids(
    client_id: str, ids: ExternalIds, actor: ClientWriterDep, service: ExternalIdServiceDep
) -> ExternalIds:
    """Replace the client's ids in other systems; an id another client holds is a 409."""
    return service.set(actor, client_id, ids)


@router.get("/{client_id}/external-ids", response_model=ExternalIds)
def get_external_ids(client_id: str, _actor: ReaderDep, service: ExternalIdServiceDep) -> ExternalIds:
    """Return the client's ids in the PSA, QuickBooks and Xero (unset ones are null)."""
    return service.get(client_id)
