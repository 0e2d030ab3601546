"""``/v1/clients``: create, read, change and search clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import ClientServiceDep, ClientWriterDep, ReaderDep
from api.schemas.clients import ClientOut, ClientPageOut
from domain.clients import ClientDraft, ClientPatch

router = APIRouter(prefix="/v1/clients", tags=["clients"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ClientOut)
def create_client(
    draft: ClientDraft, actor: ClientWriterDep, service: ClientServiceDep, response: Response
) -> ClientOut:
    """Create a client. A duplicate legal name in the same jurisdiction is a 409."""
    client = service.create(actor, draft)
    response.headers["Location"] = f"/v1/clients/{client.id}"
    return ClientOut.of(client)


@router.get("/{client_id}", response_model=ClientOut)
def get_client(client_id: str, _actor: ReaderDep, service: ClientServiceDep) -> ClientOut:
    """Return one client."""
    return ClientOut.of(service.get(client_id))


@router.patch("/{client_id}", response_model=ClientOut)
def change_client(client_id: str, patch: ClientPatch, actor: ClientWriterDep, service: ClientServiceDep) -> ClientOut:
    """Change some fields of a client; fields left out are kept."""
    return ClientOut.of(service.change(actor, client_id, patch))


@router.get("", response_model=ClientPageOut)
def search_clients(
    _actor: ReaderDep,
    service: ClientServiceDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of the legal or short name")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=1000, description="next_cursor of the previous page")] = None,
) -> ClientPageOut:
    """Search clients by name, ordered by legal name, one page at a time (keyset pagination)."""
    return ClientPageOut.of(service.search(q, limit, cursor))
