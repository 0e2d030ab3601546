"""The events undersign announces by webhook, and how an audit record becomes one.

Every state change already writes an audit record in its own transaction; the webhook message is
derived from that record in the same transaction, so a change and its announcement commit or roll
back together. Payloads carry ids and a link, never documents or personal details: a receiver
that needs more fetches it with its own API key, and a leaked payload discloses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Event type -> what it means, as listed to people registering endpoints.
EVENT_TYPES: dict[str, str] = {
    "envelope.sent": "An envelope went out to its first signers.",
    "envelope.viewed": "A signer opened the document.",
    "envelope.completed": "Every signer signed and the sealed copy is filed.",
    "envelope.declined": "A signer declined to sign.",
    "envelope.voided": "The envelope was voided.",
    "envelope.expired": "The envelope expired before every signer signed.",
    "document.created": "A document was assembled and filed as version 1.",
    "risk.accepted": "A client accepted a risk in writing.",
    "risk.refused": "A client refused to sign a risk acceptance.",
    "risk.review_due": "An accepted risk reached its review date.",
    "risk.expired": "An accepted risk expired without renewal.",
    "dunning.step_issued": "A payment notice was issued.",
    "dunning.step_awaiting_approval": "A payment notice waits for a person's approval.",
    "invoice.paid": "An invoice was marked paid.",
}

# Audit action -> event type; invoice.paid is derived from invoice.changed below.
_BY_ACTION: dict[str, str] = {
    "envelope.sent": "envelope.sent",
    "signer.viewed": "envelope.viewed",
    "envelope.completed": "envelope.completed",
    "signer.declined": "envelope.declined",
    "envelope.voided": "envelope.voided",
    "envelope.expired": "envelope.expired",
    "document.created": "document.created",
    "risk.accepted": "risk.accepted",
    "risk.refused": "risk.refused",
    "risk.review_due": "risk.review_due",
    "risk.expired": "risk.expired",
    "dunning.notice_issued": "dunning.step_issued",
    "dunning.approval_requested": "dunning.step_awaiting_approval",
}

# Which subject the link points at, first match wins.
_LINKS: tuple[tuple[str, str], ...] = (
    ("envelope", "/v1/envelopes/{}"),
    ("risk", "/v1/risks/{}"),
    ("invoice", "/v1/invoices/{}"),
    ("document", "/v1/documents/{}"),
)
# Subject kinds a payload may name (ids only).
_ID_SUBJECTS = ("envelope", "document", "client", "risk", "invoice", "signer", "dunning_step")


@dataclass(frozen=True)
class WebhookEvent:
    """An event to announce: its type, the ids it concerns and the API path to read it."""

    type: str
    ids: dict[str, str]
    path: str


def event_for(action: str, subjects: Mapping[str, str], payload: Mapping[str, Any] | None) -> WebhookEvent | None:
    """Return the event an audit record announces, or ``None`` when it announces none."""
    event_type = _BY_ACTION.get(action)
    if action == "invoice.changed" and payload is not None and payload.get("paid_on"):
        event_type = "invoice.paid"
    if event_type is None:
        return None
    ids = {f"{kind}_id": str(subjects[kind]) for kind in _ID_SUBJECTS if kind in subjects}
    path = next((template.format(subjects[kind]) for kind, template in _LINKS if kind in subjects), "/v1")
    return WebhookEvent(type=event_type, ids=ids, path=path)


def message_body(
    event_type: str, ids: Mapping[str, str], path: str, timestamp: str, base_url: str, audit_seq: int | None
) -> dict[str, Any]:
    """Return the JSON body of a message in the Standard Webhooks shape (type, timestamp, data)."""
    data: dict[str, Any] = dict(ids)
    data["url"] = base_url.rstrip("/") + path
    if audit_seq is not None:
        data["audit_seq"] = audit_seq  # where the change sits in the tamper-evident audit chain
    return {"type": event_type, "timestamp": timestamp, "data": data}
