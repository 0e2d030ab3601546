"""Tables of the evidence area: the kept nodes of the audit log's Merkle tree.

Every complete subtree of two or more events (``level`` >= 1: 2**level events starting at event
index ``idx * 2**level``) is written once, in the transaction that appends the event closing it,
so that any root, inclusion proof or consistency proof is folded from at most a few dozen rows.
Leaves (level 0) are the events' own hashes and are not copied here.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, PrimaryKeyConstraint, SmallInteger, String, Table

from storage.tables import metadata

audit_tree_nodes = Table(
    "audit_tree_nodes",
    metadata,
    Column("level", SmallInteger, nullable=False),
    Column("idx", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("level", "idx"),
)
