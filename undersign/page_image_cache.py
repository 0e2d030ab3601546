"""``PageImageCache``: the page images a server process has served lately, kept in memory up to a byte budget.

A page image never changes once stored (its key names the SHA-256 of the sent PDF and the page), so
a copy in memory is as good as the object store's: the signers of one envelope, and a signer who
reloads the page, are served without a store request. Least recently used images leave first; a
budget of 0 keeps nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


class PageImageCache:
    """A thread-safe, byte-bounded, least-recently-used map from page-image key to PNG bytes."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._images: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        """The bytes held now."""
        return self._bytes

    def get(self, key: str, load: Callable[[], bytes]) -> bytes:
        """Return the image under ``key``, loading it with ``load`` (outside the lock) when it is not held."""
        with self._lock:
            found = self._images.get(key)
            if found is not None:
                self._images.move_to_end(key)
                return found
        image = load()
        self._keep(key, image)
        return image

    def _keep(self, key: str, image: bytes) -> None:
        if len(image) > self._max_bytes:
            return  # larger than the whole budget (or a budget of 0): never held
        with self._lock:
            if key in self._images:
                return  # another request loaded it meanwhile
            self._images[key] = image
            self._bytes += len(image)
            while self._bytes > self._max_bytes:
                _key, dropped = self._images.popitem(last=False)
                self._bytes -= len(dropped)
