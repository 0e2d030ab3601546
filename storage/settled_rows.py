"""``SettledRows``: rows that never change once written, remembered per process so hot paths skip their query.

A link token's grant (which signer of which envelope it opens) is only ever inserted, and a sent
PDF's page count is fixed once its page images are stored. Every signing request and every page
image asks for one or both; remembering them saves those queries on the busiest paths. Only
settled values are kept (a missing grant or a pending render is asked again next time), and the
oldest entries leave first once ``max_entries`` is reached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

DEFAULT_MAX_ENTRIES = 20_000


class SettledRows:
    """A thread-safe, least-recently-used map from a key to a value that can no longer change."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: Hashable) -> Any | None:
        """Return the value remembered under ``key``, or ``None``."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def keep(self, key: Hashable, value: Any) -> None:
        """Remember ``value`` (never ``None``) under ``key``, dropping the least recently used beyond the limit."""
        if value is None or self._max_entries <= 0:
            return
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._max_entries:
                self._values.popitem(last=False)
