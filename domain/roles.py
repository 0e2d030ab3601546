"""Roles and what each may do.

A deployment has five roles. ``admin`` may do everything; ``auditor`` reads everything and changes
nothing (auditors must be able to show that they could not have altered the record); the working
roles may create what their job produces.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Forbidden


class Role(StrEnum):
    """A role an API key carries."""

    ADMIN = "admin"
    SALES = "sales"
    TECH = "tech"
    BILLING = "billing"
    AUDITOR = "auditor"


class Permission(StrEnum):
    """An action on a kind of record."""

    READ = "read"
    CLIENTS_WRITE = "clients:write"
    CONTRACTS_WRITE = "contracts:write"
    WAIVERS_WRITE = "waivers:write"
    NOTICES_WRITE = "notices:write"
    ENVELOPES_WRITE = "envelopes:write"
    RISKS_WRITE = "risks:write"
    INVOICES_WRITE = "invoices:write"
    DUNNING_RUN = "dunning:run"
    DUNNING_APPROVE = "dunning:approve"
    AUDIT_CHECKPOINT = "audit:checkpoint"
    KEYS_MANAGE = "keys:manage"
    LEGAL_HOLD = "legal:hold"
    TEMPLATES_REVIEW = "templates:review"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Sales and technicians both create documents (the "sales and tech create"): sales mostly
    # contracts, technicians mostly decline-of-service letters; notices stay with billing.
    Role.SALES: frozenset(
        {
            Permission.READ,
            Permission.CLIENTS_WRITE,
            Permission.CONTRACTS_WRITE,
            Permission.WAIVERS_WRITE,
            Permission.ENVELOPES_WRITE,
        }
    ),
    Role.TECH: frozenset(
        {
            Permission.READ,
            Permission.CLIENTS_WRITE,
            Permission.CONTRACTS_WRITE,
            Permission.WAIVERS_WRITE,
            Permission.ENVELOPES_WRITE,
            Permission.RISKS_WRITE,
        }
    ),
    Role.BILLING: frozenset(
        {
            Permission.READ,
            Permission.CLIENTS_WRITE,
            Permission.NOTICES_WRITE,
            Permission.INVOICES_WRITE,
            Permission.DUNNING_RUN,
            Permission.DUNNING_APPROVE,
        }
    ),
    Role.AUDITOR: frozenset({Permission.READ}),
}


def may(role: Role, permission: Permission) -> bool:
    """Return whether ``role`` grants ``permission``."""
    return permission in _GRANTS[role]


def require(role: Role, permission: Permission) -> None:
    """Raise ``Forbidden`` unless ``role`` grants ``permission``, naming both in the message."""
    if not may(role, permission):
        raise Forbidden(f"The role '{role}' may not do '{permission}'.")
