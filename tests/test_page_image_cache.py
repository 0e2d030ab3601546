"""A server process's page-image cache: served from memory once loaded, within its byte budget, oldest out first."""

from __future__ import annotations

from undersign.page_image_cache import PageImageCache


class Loads:
    """A loader that counts how often the store was asked for each key."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def of(self, key: str, size: int) -> bytes:
        """Return ``size`` bytes for ``key``, counting the load."""
        self.calls.append(key)
        return key.encode()[:1] * size


def test_an_image_is_loaded_once_then_served_from_memory() -> None:
    """The second request for the same page does not reach the store and gets the same bytes."""
    cache, loads = PageImageCache(1000), Loads()
    first = cache.get("a", lambda: loads.of("a", 100))
    again = cache.get("a", lambda: loads.of("a", 100))
    assert first == again == b"a" * 100 and loads.calls == ["a"] and cache.size_bytes == 100


def test_the_least_recently_used_image_leaves_when_the_budget_is_exceeded() -> None:
    """Past the budget the image used longest ago is dropped; the one just used stays."""
    cache, loads = PageImageCache(250), Loads()
    cache.get("a", lambda: loads.of("a", 100))
    cache.get("b", lambda: loads.of("b", 100))
    cache.get("a", lambda: loads.of("a", 100))  # a is now the most recently used
    cache.get("c", lambda: loads.of("c", 100))  # 300 bytes > 250: b leaves
    cache.get("a", lambda: loads.of("a", 100))
    cache.get("b", lambda: loads.of("b", 100))
    assert loads.calls == ["a", "b", "c", "b"] and cache.size_bytes <= 250


def test_a_budget_of_zero_keeps_nothing_and_an_oversized_image_is_never_held() -> None:
    """With no budget every request loads; an image larger than the budget is served but not kept."""
    none, loads = PageImageCache(0), Loads()
    none.get("a", lambda: loads.of("a", 10))
    none.get("a", lambda: loads.of("a", 10))
    small = PageImageCache(50)
    small.get("big", lambda: loads.of("big", 60))
    small.get("big", lambda: loads.of("big", 60))
    assert loads.calls == ["a", "a", "big", "big"] and none.size_bytes == small.size_bytes == 0
