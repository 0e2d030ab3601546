"""``PageImageCache``: the page images a server process has served lately, kept in memory up to a byte budget.

A page image never changes once stored (its key names the SHA-256 of the sent PDF and the page), so
a copy in memory is as good as the object store's: the signers of one envelope, and a signer who
reloads the page, are served without a store request. Least recently used images leave first; a
budget of 0 keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from storage.lru_map import LruMap


class PageImageCache:
    """A thread-safe, byte-bounded, least-recently-used map from page-image key to PNG bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._images: LruMap[str, bytes] = LruMap(max_bytes, weigh=len)

    @property
    def size_bytes(self) -> int:
        """The bytes held now."""
        return self._images.weight

    def get(self, key: str, load: Callable[[], bytes]) -> bytes:
        """Return the image under ``key``, loading it with ``load`` (outside the lock) when it is not held."""
        found = self._images.get(key)
        if found is not None:
            return found
        image = load()
        self._images.keep(key, image)
        return image
