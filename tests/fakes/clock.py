"""A clock that stands still unless a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FixedClock:
    """A ``Clock`` whose time the test sets and advances."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the current fake time."""
        return self.at

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.at += timedelta(**delta)
