"""``SqlAuditTree``: the Merkle tree over the audit chain, kept as its complete subtrees in the database.

Nodes are added in the transaction that appends the event (under the chain-head lock), so the
tree always has exactly the chain's events as leaves. Roots and proofs are folded from the kept
nodes with ``domain.audit.merkle``; a lookup cache lives as long as the object (one request).
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from domain.audit.merkle import consistency_proof, inclusion_proof, node_hash, tree_root
from domain.errors import NotFound
from storage.tables import audit_events
from storage.tables_evidence import audit_tree_nodes


class SqlAuditTree:
    """Reads and extends the kept nodes of the audit log's Merkle tree; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[tuple[int, int], bytes] = {}

    def add_leaf(self, seq: int, leaf_hex: str, previous_hex: str | None) -> None:
        """Keep every complete subtree that event ``seq`` (hash ``leaf_hex``) closes; ``previous_hex`` is seq - 1's."""
        current = bytes.fromhex(leaf_hex)
        level, index = 0, seq - 1
        rows = []
        while index & 1:
            # This node is a right child: its left sibling is complete already, and together they close a parent.
            if level == 0:
                if previous_hex is None:
                    raise NotFound(f"audit event {seq - 1} is missing: the tree cannot grow past it")
                left = bytes.fromhex(previous_hex)
            else:
                left = self.complete(level, index - 1)
            current = node_hash(left, current)
            level += 1
            index >>= 1
            rows.append({"level": level, "idx": index, "hash": current.hex()})
            self._cache[(level, index)] = current
        if rows:
            self._session.execute(insert(audit_tree_nodes), rows)

    def complete(self, level: int, index: int) -> bytes:
        """Return the hash of the complete subtree (``level``, ``index``); level 0 is event ``index + 1``."""
        key = (level, index)
        found = self._cache.get(key)
        if found is not None:
            return found
        if level == 0:
            value = self._session.execute(select(audit_events.c.hash).where(audit_events.c.seq == index + 1)).scalar()
        else:
            value = self._session.execute(
                select(audit_tree_nodes.c.hash).where(
                    audit_tree_nodes.c.level == level, audit_tree_nodes.c.idx == index
                )
            ).scalar()
        if value is None:
            raise NotFound(f"the audit tree has no node at level {level}, index {index}")
        digest = bytes.fromhex(value)
        self._cache[key] = digest
        return digest

    def root(self, size: int) -> bytes:
        """Return the root of the tree of the first ``size`` events."""
        return tree_root(self.complete, size)

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        """Return the inclusion proof of event ``seq`` in the tree of ``size`` events."""
        return inclusion_proof(self.complete, seq - 1, size)

    def consistency(self, first: int, second: int) -> list[bytes]:
        """Return the consistency proof from the tree of ``first`` events to the one of ``second``."""
        return consistency_proof(self.complete, first, second)
