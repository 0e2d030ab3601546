"""Helpers for the audit tests: a varied chain, tampering operations and a self-signed signing certificate."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from domain.audit import Actor, AuditEvent, AuditEventDraft, chain_next, payload_digest

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

_ACTORS = (
    Actor("api_key", "sales-desk", "sales"),
    Actor("signer", "zoë.müller@client.example", "client"),
    Actor("system", "scheduler"),
)


def draft(index: int) -> AuditEventDraft:
    """Return a varied draft (actors, unicode, optional ip/agent/document) for position ``index``."""
    with_request = index % 3 != 2
    return AuditEventDraft(
        actor=_ACTORS[index % 3],
        action=("envelope.sent", "envelope.viewed", "document.sealed")[index % 3],
        subjects={"envelope": f"ENV-2026-{index:04d}", "client": "Café Ünïcode ☕ GmbH"},
        ip="2001:db8::1" if with_request and index % 2 else ("198.51.100.7" if with_request else None),
        user_agent='Mozilla/5.0 (X11; Linux x86_64) "quoted" \\ tab\t' if with_request else None,
        payload_sha256=payload_digest({"index": index, "note": "line\nbreak"}),
        document_sha256=hashlib.sha256(f"pdf {index}".encode()).hexdigest() if index % 3 == 2 else None,
    )


def iter_chain(count: int) -> Iterator[AuditEvent]:
    """Yield a valid chain of ``count`` events, holding only the previous one."""
    prev: AuditEvent | None = None
    for seq in range(1, count + 1):
        prev = chain_next(prev, draft(seq), seq, T0 + timedelta(seconds=seq, microseconds=seq))
        yield prev


def build_chain(count: int) -> list[AuditEvent]:
    """Return a valid chain of ``count`` events as a list."""
    return list(iter_chain(count))


def rehashed(event: AuditEvent, **changes: object) -> AuditEvent:
    """Return ``event`` with ``changes`` applied and its hash recomputed (a careful forger)."""
    changed = replace(event, **changes)  # type: ignore[arg-type]
    return replace(changed, hash=changed.computed_hash())


def edited(event: AuditEvent, **changes: object) -> AuditEvent:
    """Return ``event`` with ``changes`` applied and the stored hash left as it was (a careless forger)."""
    return replace(event, **changes)  # type: ignore[arg-type]


def rewrite_from(events: list[AuditEvent], index: int, **changes: object) -> list[AuditEvent]:
    """Change the event at list ``index`` and relink + rehash everything after it: a consistent rewrite."""
    result = events[:index]
    result.append(rehashed(events[index], **changes))
    for event in events[index + 1 :]:
        result.append(rehashed(event, prev_hash=result[-1].hash))
    return result


def self_signed(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, common_name: str = "undersign audit seal"
) -> x509.Certificate:
    """Return a self-signed certificate for ``key``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 - timedelta(days=1))
        .not_valid_after(T0 + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
