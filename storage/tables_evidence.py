"""Tables of the evidence area: the kept nodes of the audit log's Merkle tree, and legal holds.

Every complete subtree of two or more events (``level`` >= 1: 2**level events starting at event
index ``idx * 2**level``) is written once, in the transaction that appends the event closing it,
so that any root, inclusion proof or consistency proof is folded from at most a few dozen rows.
Leaves (level 0) are the events' own hashes and are not copied here.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, SmallInteger, String, Table, Text

from storage.tables import UtcDateTime, metadata

audit_tree_nodes = Table(
    "audit_tree_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("level", "idx"),
)

# Legal holds placed on a client, an envelope or a document: kept after release (the record of who
# held what, when and why is itself evidence); the object store carries the hold on each version.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", String(36), nullable=False),
    Column("client_id", String(36), nullable=False),
    Column("reason", Text, nullable=False),
    Column("placed_at", UtcDateTime(), nullable=False),
    Column("placed_by", String(200), nullable=False),
    Column("released_at", UtcDateTime(), nullable=True),
    Column("released_by", String(200), nullable=True),
    Column("release_reason", Text, nullable=True),
    Index(None, "subject_type", "subject_id"),
)
