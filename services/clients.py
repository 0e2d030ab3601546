"""Client use cases: create, read, change and search the MSP's clients."""

from __future__ import annotations

import uuid

from domain.actor import Actor
from domain.clients import Client, ClientCursor, ClientDraft, ClientPage, ClientPatch, Contact
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.ports import AuditTrail, ClientRepository, Clock
from domain.roles import Permission

MAX_PAGE = 200


class ClientService:
    """Create, change and find clients; every write checks the actor's role first."""

    def __init__(self, clients: ClientRepository, clock: Clock, audit: AuditTrail) -> None:
        self._clients = clients
        self._clock = clock
        self._audit = audit

    def create(self, actor: Actor, draft: ClientDraft) -> Client:
        """Store a new client; a duplicate legal name in the same jurisdiction is a ``Conflict``."""
        _require_write(actor)
        if self._clients.find_by_name(draft.legal_name, draft.jurisdiction):
            raise Conflict(f"A client named '{draft.legal_name}' already exists in {draft.jurisdiction}.")
        now = self._clock.now()
        client = Client(
            id=str(uuid.uuid4()),
            legal_name=draft.legal_name,
            short_name=draft.short_name,
            address=draft.address,
            jurisdiction=draft.jurisdiction,
            billing_email=str(draft.billing_email),
            primary_contact=draft.primary_contact,
            notes=draft.notes,
            created_at=now,
            updated_at=now,
        )
        self._clients.add(client)
        self._audit.record(actor, "client.created", {"client": client.id}, payload=_audit_view(client))
        return client

    def get(self, client_id: str) -> Client:
        """Return the client or raise ``NotFound``."""
        client = self._clients.get(client_id)
        if client is None:
            raise NotFound(f"No client with id '{client_id}'.")
        return client

    def change(self, actor: Actor, client_id: str, patch: ClientPatch) -> Client:
        """Apply the fields set in ``patch`` to the client and return the result."""
        _require_write(actor)
        current = self.get(client_id)
        changes = patch.model_dump(exclude_unset=True)
        if any(value is None for value in changes.values()):
            # A field sent as null would blank a required field: refuse rather than guess.
            nulls = [FieldError(f"/{name}", "may not be null") for name, value in changes.items() if value is None]
            raise InvalidInput("Fields cannot be set to null; leave them out to keep them.", errors=nulls)
        contact = Contact.model_validate(changes.pop("primary_contact")) if "primary_contact" in changes else None
        updated = Client(
            id=current.id,
            legal_name=changes.get("legal_name", current.legal_name),
            short_name=changes.get("short_name", current.short_name),
            address=changes.get("address", current.address),
            jurisdiction=changes.get("jurisdiction", current.jurisdiction),
            billing_email=str(changes.get("billing_email", current.billing_email)),
            primary_contact=contact or current.primary_contact,
            notes=changes.get("notes", current.notes),
            suspended_since=current.suspended_since,
            created_at=current.created_at,
            updated_at=self._clock.now(),
        )
        other = self._clients.find_by_name(updated.legal_name, updated.jurisdiction)
        if other is not None and other.id != updated.id:
            raise Conflict(f"A client named '{updated.legal_name}' already exists in {updated.jurisdiction}.")
        self._clients.update(updated)
        self._audit.record(
            actor,
            "client.changed",
            {"client": updated.id},
            payload={"changed": sorted(changes), **_audit_view(updated)},
        )
        return updated

    def search(self, query: str | None, limit: int, cursor: str | None) -> ClientPage:
        """Return one page of clients whose legal or short name contains ``query``."""
        limit = max(1, min(limit, MAX_PAGE))
        after = ClientCursor.decode(cursor) if cursor else None
        rows = self._clients.search(query.strip() if query else None, limit + 1, after)
        items = rows[:limit]
        next_cursor = ClientCursor(items[-1].legal_name, items[-1].id).encode() if len(rows) > limit else None
        return ClientPage(items=items, next_cursor=next_cursor)


def _audit_view(client: Client) -> dict[str, str]:
    return {
        "legal_name": client.legal_name,
        "jurisdiction": client.jurisdiction,
        "billing_email": client.billing_email,
    }


def _require_write(actor: Actor) -> None:
    actor.require(Permission.CLIENTS_WRITE)
