"""The Merkle tree over audit events: roots, inclusion and consistency proofs as RFC 9162 defines them."""

from __future__ import annotations

import hashlib

import pytest

from domain.audit.merkle import (
    NODE_SHA256,
    CompactRange,
    append_leaves,
    complete_subtree_root,
    consistency_proof,
    frontier_positions,
    inclusion_proof,
    node_hash,
    root_from_leaves,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from domain.errors import InvalidInput


def leaves(n: int) -> list[bytes]:
    """Distinct 32-byte leaf hashes."""
    return [hashlib.sha256(b"event %d" % i).digest() for i in range(n)]


def mth(items: list[bytes]) -> bytes:
    """RFC 9162's recursive definition, written the plain way (the reference to compare with)."""
    if len(items) == 1:
        return items[0]
    k = 1 << ((len(items) - 1).bit_length() - 1)
    return node_hash(mth(items[:k]), mth(items[k:]))


def kept_nodes(items: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete subtree, as storage keeps them (leaves at level 0)."""
    edge = CompactRange()
    nodes = {(0, i): leaf for i, leaf in enumerate(items)}
    for leaf in items:
        for level, index, value in edge.append(leaf):
            nodes[(level, index)] = value
    return nodes


class TestTree:
    def test_root_matches_the_recursive_definition_for_every_size(self) -> None:
        """The compact range, the kept-node fold and RFC 9162's MTH agree on 1..70 leaves."""
        items = leaves(70)
        nodes = kept_nodes(items)
        for n in range(1, 71):
            expected = mth(items[:n])
            assert root_from_leaves(items[:n]) == expected
            assert tree_root(lambda level, index: nodes[(level, index)], n) == expected

    def test_frontier_positions_cover_the_tree_left_to_right(self) -> None:
        """A tree of 13 leaves is made of complete subtrees of 8, 4 and 1 leaves."""
        assert frontier_positions(13) == [(3, 0), (2, 2), (0, 12)]

    def test_inclusion_proofs_verify_and_reject_a_changed_leaf_or_index(self) -> None:
        """Every leaf of trees of 1..40 leaves proves; another leaf, index or root does not."""
        items = leaves(40)
        nodes = kept_nodes(items)
        for n in range(1, 41):
            root = mth(items[:n])
            for m in range(n):
                path = inclusion_proof(lambda level, index: nodes[(level, index)], m, n)
                assert verify_inclusion(items[m], m, n, path, root)
                assert not verify_inclusion(hashlib.sha256(b"x").digest(), m, n, path, root)
                if n > 1:
                    assert not verify_inclusion(items[m], (m + 1) % n, n, path, root)
                assert not verify_inclusion(items[m], m, n, path, hashlib.sha256(b"y").digest())

    def test_consistency_proofs_verify_and_reject_a_rewritten_history(self) -> None:
        """Every (m, n) pair up to 33 proves consistent; a changed old root does not."""
        items = leaves(33)
        nodes = kept_nodes(items)
        for n in range(1, 34):
            for m in range(1, n + 1):
                path = consistency_proof(lambda level, index: nodes[(level, index)], m, n)
                assert verify_consistency(m, n, mth(items[:m]), mth(items[:n]), path), (m, n)
                forged = mth([hashlib.sha256(b"forged").digest(), *items[1:m]])
                assert not verify_consistency(m, n, forged, mth(items[:n]), path), (m, n)


class TestBatchedHashing:
    def test_node_hash_function_is_sha256(self) -> None:
        """The constructor used for node hashes gives hashlib's SHA-256 on node-sized and other inputs."""
        for data in (b"", b"\x01" + bytes(range(64)), b"x" * 1000):
            assert NODE_SHA256(data).digest() == hashlib.sha256(data).digest()

    def test_complete_subtree_root_is_the_recursive_root(self) -> None:
        """Hashing a level at a time gives MTH for every power-of-two width up to 256."""
        items = leaves(256)
        for level in range(9):
            assert complete_subtree_root(items[: 1 << level]) == mth(items[: 1 << level])

    def test_complete_subtree_root_refuses_a_width_that_is_not_a_power_of_two(self) -> None:
        """Six leaves are not one complete subtree."""
        with pytest.raises(InvalidInput):
            complete_subtree_root(leaves(6))

    def test_appending_runs_builds_the_same_tree_as_leaf_by_leaf(self) -> None:
        """Runs of any length, starting anywhere, leave the tree with the root of all leaves so far."""
        items = leaves(300)
        tree = CompactRange()
        done = 0
        for run in (1, 2, 5, 64, 3, 100, 0, 125):
            append_leaves(tree, items[done : done + run])
            done += run
            assert tree.size == done and tree.root() == mth(items[:done]), done
