"""Who is acting: the identity the audit trail records for every change."""

from __future__ import annotations

from dataclasses import dataclass

from domain.roles import Role


@dataclass(frozen=True)
class Actor:
    """The caller of a use case: an API key (name and role), a signer, or the system itself."""

    name: str
    role: Role | None = None
    kind: str = "key"  # key | signer | system
    ip: str | None = None
    user_agent: str | None = None

    @property
    def label(self) -> str:
        """A short human label such as ``key:alice(sales)`` for logs and audit records."""
        role = f"({self.role})" if self.role else ""
        return f"{self.kind}:{self.name}{role}"


SYSTEM = Actor(name="undersign", kind="system")
