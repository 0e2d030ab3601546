"""Use cases for clients' external ids: set them, read them, and find a client by one."""

from __future__ import annotations

from domain.actor import Actor
from domain.errors import FieldError, InvalidInput, NotFound
from domain.external_ids import ExternalIdRepository, ExternalIds, ExternalRef, ExternalSystem
from domain.ports import AuditTrail, ClientRepository, Clock
from domain.roles import Permission, require


class ExternalIdService:
    """Keep each client's ids in the PSA and the accounting package; every change is audited."""

    def __init__(self, ids: ExternalIdRepository, clients: ClientRepository, clock: Clock, audit: AuditTrail) -> None:
        self._ids = ids
        self._clients = clients
        self._clock = clock
        self._audit = audit

    def set(self, actor: Actor, client_id: str, ids: ExternalIds) -> ExternalIds:
        """Replace the client's external ids with ``ids``."""
        if actor.role is not None:
            require(actor.role, Permission.CLIENTS_WRITE)
        if self._clients.get(client_id) is None:
            raise NotFound(f"No client with id '{client_id}'.")
        self._ids.replace(client_id, ids.items(), self._clock.now())
        self._audit.record(
            actor,
            "client.external_ids_set",
            {"client": client_id},
            payload={system.value: value for system, value in ids.items()},
        )
        return ids

    def get(self, client_id: str) -> ExternalIds:
        """Return the client's external ids."""
        if self._clients.get(client_id) is None:
            raise NotFound(f"No client with id '{client_id}'.")
        stored = self._ids.for_client(client_id)
        return ExternalIds(**{system.value: value for system, value in stored.items()})

    def resolve(self, ref: ExternalRef, pointer: str = "/client_external_id") -> str:
        """Return the id of the client ``ref`` names; an unknown id is an ``InvalidInput`` naming the field."""
        client_id = self._ids.client_for(ref.system, ref.id)
        if client_id is None:
            raise InvalidInput(
                f"No client has the {_label(ref.system)} id '{ref.id}'. "
                f"Set it with PUT /v1/clients/{{id}}/external-ids first.",
                errors=[FieldError(pointer, "no client has this id")],
            )
        return client_id


def _label(system: ExternalSystem) -> str:
    return {ExternalSystem.PSA: "PSA", ExternalSystem.QUICKBOOKS: "QuickBooks", ExternalSystem.XERO: "Xero"}[system]
