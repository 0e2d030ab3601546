"""The real clock (the domain never reads time itself; tests pass a fixed one)."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """The current UTC time from the operating system."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware UTC."""
        return datetime.now(UTC)
