"""``LruMap``: a thread-safe map that forgets its least recently used entries beyond a weight budget.

The per-process memories of things that never change (settled rows, page images) share it: each
entry weighs 1 by default (a budget of entries) or what ``weigh`` says (a budget of bytes). An entry
heavier than the whole budget is never kept, and a budget of 0 keeps nothing of weight.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_value: object) -> int:
    return 1


class LruMap(Generic[K, V]):
    """Keys to values, the least recently used leaving first once their weights pass ``max_weight``."""

    def __init__(self, max_weight: int, weigh: Callable[[V], int] = _one) -> None:
        self._max_weight = max_weight
        self._weigh = weigh
        self._values: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    @property
    def weight(self) -> int:
        """The weight held now."""
        return self._weight

    def get(self, key: K) -> V | None:
        """Return the value under ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def keep(self, key: K, value: V) -> None:
        """Hold ``value`` under ``key`` unless it outweighs the budget; drop the least recently used beyond it."""
        weight = self._weigh(value)
        if weight > self._max_weight:
            return
        with self._lock:
            previous = self._values.pop(key, None)
            if previous is not None:
                self._weight -= self._weigh(previous)
            self._values[key] = value
            self._weight += weight
            while self._weight > self._max_weight:
                _key, dropped = self._values.popitem(last=False)
                self._weight -= self._weigh(dropped)
