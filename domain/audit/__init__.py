"""The tamper-evident audit trail (pure part): events, hash chain, signed checkpoints, verification, bundles.

See ``docs/audit-chain.md`` for the algorithm and the evidence bundle layout; the storage and API
wiring live outside the domain.
"""

from domain.audit.bundle import (
    BundleEntry,
    FileDigest,
    build_bundle_manifest,
    bundle_entries,
    manifest_from_digests,
    write_bundle,
)
from domain.audit.canonical import canonical_json, format_time, parse_time
from domain.audit.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    certificate_fingerprint,
    checkpoint_for,
    sign_checkpoint,
    verify_checkpoint_signature,
)
from domain.audit.event import (
    GENESIS_HASH,
    Actor,
    AuditEvent,
    AuditEventDraft,
    chain_next,
    event_from_json_line,
    payload_digest,
)
from domain.audit.verify import ChainChecker, ChainVerdict, TamperKind, verify_chain

__all__ = [
    "GENESIS_HASH",
    "Actor",
    "AuditEvent",
    "AuditEventDraft",
    "BundleEntry",
    "ChainChecker",
    "ChainVerdict",
    "Checkpoint",
    "FileDigest",
    "SignedCheckpoint",
    "TamperKind",
    "build_bundle_manifest",
    "bundle_entries",
    "canonical_json",
    "certificate_fingerprint",
    "chain_next",
    "checkpoint_for",
    "event_from_json_line",
    "format_time",
    "manifest_from_digests",
    "parse_time",
    "payload_digest",
    "sign_checkpoint",
    "verify_chain",
    "verify_checkpoint_signature",
    "write_bundle",
]
