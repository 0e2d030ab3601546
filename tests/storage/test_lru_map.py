"""The shared least-recently-used map: weights add up, a replaced entry is not counted twice."""

from __future__ import annotations

from storage.lru_map import LruMap


class TestLruMap:
    def test_keeping_a_key_again_replaces_its_weight(self) -> None:
        """A key kept twice weighs what its new value weighs, once."""
        images: LruMap[str, bytes] = LruMap(100, weigh=len)
        images.keep("a", b"x" * 40)
        images.keep("a", b"y" * 30)
        assert (len(images), images.weight, images.get("a")) == (1, 30, b"y" * 30)

    def test_the_budget_drops_the_least_recently_used_first(self) -> None:
        """Past the budget, entries leave oldest-used first until the weight fits again."""
        images: LruMap[str, bytes] = LruMap(100, weigh=len)
        images.keep("a", b"a" * 40)
        images.keep("b", b"b" * 40)
        assert images.get("a") is not None
        images.keep("c", b"c" * 40)
        assert (images.get("a"), images.get("b"), images.weight) == (b"a" * 40, None, 80)
