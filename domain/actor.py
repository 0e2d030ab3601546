"""Who is acting: the identity the audit trail records for every change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Forbidden
from domain.roles import Permission, Role, may


class ActorKind(StrEnum):
    """What kind of caller acts: an API key, a signer through their link, or undersign itself."""

    KEY = "key"
    SIGNER = "signer"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The caller of a use case: an API key (name and role), a signer, or the system itself."""

    name: str
    role: Role | None = None
    kind: ActorKind = ActorKind.KEY
    ip: str | None = None
    user_agent: str | None = None

    @property
    def label(self) -> str:
        """A short human label such as ``key:alice(sales)`` for logs and audit records."""
        role = f"({self.role})" if self.role else ""
        return f"{self.kind}:{self.name}{role}"

    def require(self, permission: Permission) -> None:
        """Raise ``Forbidden`` unless this caller may do ``permission``; fails closed.

        The system (a scheduled job, a command run on the server by its operator) may do everything;
        a key may do what its role grants; a signer, or a key without a role, may do nothing here.
        """
        if self.kind is ActorKind.SYSTEM:
            return
        if self.kind is ActorKind.KEY and self.role is not None:
            if may(self.role, permission):
                return
            raise Forbidden(f"The role '{self.role}' may not do '{permission}'.")
        raise Forbidden(f"{self.label} may not do '{permission}'.")


SYSTEM = Actor(name="undersign", kind=ActorKind.SYSTEM)
