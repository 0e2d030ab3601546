"""Tables of the audit area beyond the chain itself: the signed checkpoints.

The signed checkpoint document lives in the object store under Object Lock; this table lists
where each one is (bucket, key, version id) so that verification can fetch exactly those bytes.
The database copy of the statement is for listing only: verification never trusts it, because
whoever can rewrite the chain in the database can rewrite this table too.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from storage.tables import UtcDateTime, metadata

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("signer_cert_sha256", String(64), nullable=False),
    # The signed checkpoint document (canonical JSON) as it was stored in the object store.
    Column("signed_json", Text, nullable=False),
    Column("bucket", String(63), nullable=False),
    Column("key", String(1024), nullable=False),
    Column("version_id", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("retention_mode", String(16), nullable=True),
    Column("retain_until", UtcDateTime(), nullable=True),
    Column("created_by", String(200), nullable=False),
    Index(None, "seq"),
)
