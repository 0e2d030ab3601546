"""The clock port: the only way a service learns the time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob


class Clock(Protocol):
    """The source of the current time; domain code never reads the clock itself."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware (UTC)."""
        ...
