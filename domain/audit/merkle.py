"""The audit log as a Merkle tree in the manner of RFC 9162 (Certificate Transparency v2), section 2.1.

Leaves are the audit events in seq order (leaf index = seq - 1). A leaf's hash is the event's own
``hash`` (SHA-256 of its canonical JSON without the ``hash`` member): that text always starts
with ``{`` (0x7B), so it can never be mistaken for an interior node, whose input starts with
0x01. This gives the second-preimage separation RFC 9162 gets from its 0x00 leaf prefix without
hashing every event twice. Interior nodes are ``SHA-256(0x01 || left || right)`` and the tree of
``n`` leaves splits at the largest power of two below ``n``, exactly as RFC 9162 defines
``MTH``. Inclusion and consistency proofs and their verification follow sections 2.1.3 and 2.1.4.

The tree's nodes are not all kept: storage keeps every *complete* subtree (a power-of-two run of
leaves starting at a multiple of its size), one row per leaf on average, and every other hash a
proof needs is folded from those. :class:`CompactRange` is the right edge of the tree that an
append needs (at most one node per level).
"""

from __future__ import annotations

import hashlib
import importlib
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import starmap
from typing import Any

from domain.errors import InvalidInput

NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def _small_input_sha256() -> Callable[[bytes], Any]:
    """Return the SHA-256 constructor that costs least per call on 65-byte inputs.

    Building a tree calls SHA-256 once per node on 65 bytes, so the per-call cost (not the
    per-byte cost) is what counts: OpenSSL's (``hashlib.sha256``) allocates and copies an EVP
    context for every object and every digest, CPython's own implementation (``_sha2`` from
    3.12, ``_sha256`` before) does not, and is about a fifth cheaper per node. Same function,
    same output (a test compares them); hashlib's is the fallback where CPython's is not built.
    """
    for name in ("_sha2", "_sha256"):
        try:
            return importlib.import_module(name).sha256
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


NODE_SHA256 = _small_input_sha256()
_node_digest = type(NODE_SHA256(b"")).digest
_NODE_INPUT = struct.Struct("65s")  # 0x01 || left || right

# complete(level, index) -> hash of the complete subtree of 2**level leaves starting at index * 2**level.
CompleteNode = Callable[[int, int], bytes]


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """Return the largest power of two strictly below ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_hash(complete: CompleteNode, start: int, end: int) -> bytes:
    """Return MTH of leaves ``start``..``end - 1`` of a tree whose ranges are aligned as RFC 9162 splits them."""
    size = end - start
    if size <= 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return complete(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(subtree_hash(complete, start, start + k), subtree_hash(complete, start + k, end))


def tree_root(complete: CompleteNode, size: int) -> bytes:
    """Return the root hash of the tree of the first ``size`` leaves (SHA-256 of nothing when empty)."""
    return subtree_hash(complete, 0, size)


def inclusion_proof(complete: CompleteNode, index: int, size: int) -> list[bytes]:
    """Return the audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise InvalidInput(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting the sibling of each subtree the leaf is in; reversed at the end.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(complete, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(complete, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(complete: CompleteNode, first: int, second: int) -> list[bytes]:
    """Return the proof that the tree of ``first`` leaves is a prefix of the one of ``second`` (RFC 9162 2.1.4.1)."""
    if not 0 < first <= second:
        raise InvalidInput(f"no consistency proof from a tree of {first} leaves to one of {second}")
    path: list[bytes] = []
    m, start, end, whole = first, 0, second, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(subtree_hash(complete, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(complete, start, start + k))
            m -= k
            start += k
            whole = False
    if not whole:
        path.append(subtree_hash(complete, start, end))
    path.reverse()
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """Tell whether ``path`` proves leaf hash ``leaf`` at ``index`` in the tree of ``size`` leaves with ``root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """Tell whether ``path`` proves tree (``first``, ``first_root``) is a prefix of (``second``, ``second_root``)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


@dataclass
class CompactRange:
    """The right edge of a tree being built leaf by leaf: one complete subtree per set bit of ``size``.

    ``nodes[i]`` is (level, hash), highest level first. :meth:`append` returns the complete
    subtrees of level >= 1 that the new leaf finished, which storage keeps for later proofs.
    """

    size: int = 0
    nodes: list[tuple[int, bytes]] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add the next leaf; return the (level, index, hash) of every complete subtree it closed."""
        finished: list[tuple[int, int, bytes]] = []
        level, current = 0, leaf
        index = self.size
        while self.nodes and self.nodes[-1][0] == level:
            _, left = self.nodes.pop()
            current = node_hash(left, current)
            level += 1
            index >>= 1
            finished.append((level, index, current))
        self.nodes.append((level, current))
        self.size += 1
        return finished

    def append_subtree(self, level: int, digest: bytes) -> None:
        """Add a complete subtree of ``2**level`` leaves at once (``size`` must be a multiple of its width)."""
        if self.size % (1 << level):
            raise InvalidInput(f"a subtree of 2**{level} leaves cannot start at leaf {self.size}")
        self.size += 1 << level
        current = digest
        while self.nodes and self.nodes[-1][0] == level:
            _, left = self.nodes.pop()
            current = node_hash(left, current)
            level += 1
        self.nodes.append((level, current))

    def root(self) -> bytes:
        """Return the root hash of the leaves appended so far."""
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1][1]
        for _, left in reversed(self.nodes[:-1]):
            acc = node_hash(left, acc)
        return acc


def frontier_positions(size: int) -> list[tuple[int, int]]:
    """Return (level, index) of the complete subtrees that make up a tree of ``size`` leaves, left to right."""
    out: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def complete_subtree_root(leaves: list[bytes]) -> bytes:
    """Return the root of a complete subtree from its leaf hashes (a power of two of them), level by level.

    Each level is hashed without a Python frame per node: the level's hashes are interleaved
    with the node prefix by list slicing, joined once, cut into 65-byte node inputs by
    ``struct.iter_unpack`` and hashed through ``map``. The tree is the one :class:`CompactRange`
    and :func:`subtree_hash` compute (a test compares them).
    """
    width = len(leaves)
    if width == 0 or width & (width - 1):
        raise InvalidInput(f"a complete subtree has a power of two of leaves, not {width}")
    level = leaves
    while len(level) > 1:
        inputs = [NODE_PREFIX] * (3 * (len(level) >> 1))
        inputs[1::3] = level[0::2]
        inputs[2::3] = level[1::2]
        level = list(map(_node_digest, starmap(NODE_SHA256, _NODE_INPUT.iter_unpack(b"".join(inputs)))))
    return level[0]


def append_leaves(tree: CompactRange, leaves: list[bytes]) -> None:
    """Append consecutive leaf hashes to ``tree`` as the largest complete subtrees they form.

    Each run starts where the tree ends, so it is cut into aligned power-of-two blocks (the
    ones RFC 9162 splits a tree into), each hashed at once by :func:`complete_subtree_root`.
    """
    done = 0
    while done < len(leaves):
        left = len(leaves) - done
        # The widest block that starts at leaf index tree.size (aligned to it) and fits in what is left.
        width = tree.size & -tree.size or 1 << (left.bit_length() - 1)
        while width > left:
            width >>= 1
        tree.append_subtree(width.bit_length() - 1, complete_subtree_root(leaves[done : done + width]))
        done += width


def root_from_leaves(leaves: Iterable[bytes]) -> bytes:
    """Return the root over ``leaves`` (for tests and small trees; storage folds kept nodes instead)."""
    edge = CompactRange()
    for leaf in leaves:
        edge.append(leaf)
    return edge.root()
