"""Who is acting: the identity the audit trail records for every change.

An actor is an API key (its name and role), a named user of the staff console (signed in, or
through an API key that belongs to them), a signer through their link, or undersign itself. When a
person stands behind the action (``user_id`` is set), the audit trail and the envelope events name
that person (id, display name, title and role), not only the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.errors import Forbidden
from domain.roles import Permission, Role, may


class ActorKind(StrEnum):
    """What kind of caller acts: an API key, a signed-in user, a signer through their link, or undersign."""

    KEY = "key"
    USER = "user"
    SIGNER = "signer"
    SYSTEM = "system"


@dataclass(frozen=True)
class Person:
    """The named user behind an action: what the audit trail and the certificate print about them."""

    user_id: str
    display_name: str
    title: str
    roles: tuple[Role, ...]

    def as_record(self) -> dict[str, object]:
        """Return the person as JSON-ready data (recorded with audit and envelope events)."""
        return {
            "user_id": self.user_id,
            "name": self.display_name,
            "title": self.title,
            "roles": [role.value for role in self.roles],
        }


@dataclass(frozen=True)
class Actor:
    """The caller of a use case: an API key (name and role), a user, a signer, or the system itself.

    ``role`` is the first of the roles it acts with (the one shown in short labels); ``roles`` holds
    all of them (a user may have several; a plain key has one). ``user_id``, ``display_name`` and
    ``title`` name the person when a user acts (signed in, or through their own API key); ``email`` is
    where that person is told how an envelope they sent ends.
    """

    name: str
    role: Role | None = None
    kind: ActorKind = ActorKind.KEY
    ip: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    display_name: str | None = None
    title: str | None = None
    roles: tuple[Role, ...] = field(default=())
    # The person's own address (a user, signed in or through their key): told how what they sent ends.
    email: str | None = None

    def __post_init__(self) -> None:
        # A caller that names only ``role`` acts with that role; ``roles`` always holds every role.
        if not self.roles and self.role is not None:
            object.__setattr__(self, "roles", (self.role,))
        elif self.roles and self.role is None:
            object.__setattr__(self, "role", self.roles[0])

    @property
    def label(self) -> str:
        """A short human label such as ``key:alice(sales)`` for logs and audit records."""
        role = f"({'+'.join(self.roles)})" if self.roles else ""
        return f"{self.kind}:{self.name}{role}"

    @property
    def person(self) -> Person | None:
        """The named user behind this actor, or ``None`` for a plain key, a signer or the system."""
        if self.user_id is None:
            return None
        return Person(
            user_id=self.user_id,
            display_name=self.display_name or self.name,
            title=self.title or "",
            roles=self.roles,
        )

    def has_role(self, role: Role) -> bool:
        """Return whether this caller acts with ``role`` (among others)."""
        return role in self.roles

    def may(self, permission: Permission) -> bool:
        """Return whether this caller may do ``permission`` (the same rule as :meth:`require`)."""
        try:
            self.require(permission)
        except Forbidden:
            return False
        return True

    def require(self, permission: Permission) -> None:
        """Raise ``Forbidden`` unless this caller may do ``permission``; fails closed.

        The system (a scheduled job, a command run on the server by its operator) may do everything;
        a key or a user may do what one of its roles grants; a signer, or a caller without a role,
        may do nothing here.
        """
        if self.kind is ActorKind.SYSTEM:
            return
        if self.kind in (ActorKind.KEY, ActorKind.USER) and self.roles:
            if any(may(role, permission) for role in self.roles):
                return
            raise Forbidden(f"The role '{'+'.join(self.roles)}' may not do '{permission}'.")
        raise Forbidden(f"{self.label} may not do '{permission}'.")


SYSTEM = Actor(name="undersign", kind=ActorKind.SYSTEM)

# How each kind of actor is written in the audit chain (``domain.audit.event.ACTOR_KINDS``).
_AUDIT_KINDS = {
    ActorKind.KEY: "api_key",
    ActorKind.USER: "user",
    ActorKind.SIGNER: "signer",
    ActorKind.SYSTEM: "system",
}


def audit_identity(actor: Actor) -> tuple[str, str, str | None]:
    """Return how the audit chain names ``actor``: its kind, its id and its role(s).

    A key is named by its key name, a signed-in user by their user id (stable when their name or
    address changes), a signer by their address; several roles are written joined by ``+``.
    """
    kind = _AUDIT_KINDS.get(actor.kind, "system")
    ident = actor.user_id if actor.kind is ActorKind.USER and actor.user_id else actor.name
    role = "+".join(actor.roles) if actor.roles else None
    return kind, ident, role


def payload_naming_person(actor: Actor, payload: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return the payload to record for ``actor``'s event, with the person behind it under ``by``.

    The payload is hashed into the chain (``payload_sha256``), so who did it (user id, name, title,
    roles) is as tamper-evident as what was done. A plain key, a signer or the system adds nothing.
    """
    person = actor.person
    if person is None:
        return dict(payload) if payload is not None else None
    return {**(payload or {}), "by": person.as_record()}
