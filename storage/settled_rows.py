"""``SettledRows``: rows that never change once written, remembered per process so hot paths skip their query.

A link token's grant (which signer of which envelope it opens) is only ever inserted, and a sent
PDF's page count is fixed once its page images are stored. Every signing request and every page
image asks for one or both; remembering them saves those queries on the busiest paths. Only
settled values are kept (a missing grant or a pending render is asked again next time), and the
oldest entries leave first once ``max_entries`` is reached.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from storage.lru_map import LruMap

DEFAULT_MAX_ENTRIES = 20_000


class SettledRows(LruMap[Hashable, Any]):
    """A thread-safe, least-recently-used map from a key to a value that can no longer change."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        super().__init__(max_entries)

    def keep(self, key: Hashable, value: Any) -> None:
        """Remember ``value`` (never ``None``) under ``key``, dropping the least recently used beyond the limit."""
        if value is not None:
            super().keep(key, value)
