"""When a failed delivery is tried again: exponential backoff with jitter, for three days.

The gaps grow from seconds to hours, so a receiver that blinks gets its events seconds later and
one that is down for a day is not hammered. Each gap is spread by up to a fifth either way
(jitter), so deliveries that failed together do not all retry in the same second. After three
days from the event the delivery is given up and marked failed; it can still be replayed by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RETRY_WINDOW = timedelta(days=3)
# Gap after the n-th failed attempt; the last gap repeats until the window is over.
GAPS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
JITTER = 0.2
# An endpoint failing without a single success for this long is disabled and its owner mailed.
DISABLE_AFTER = timedelta(days=5)


def next_attempt(created_at: datetime, failed_attempts: int, now: datetime, spread: float) -> datetime | None:
    """Return when to try again after ``failed_attempts`` failures, or ``None`` when the window is over.

    ``spread`` is a random number in [0, 1) supplied by the caller (the domain draws no randomness).
    """
    gap = GAPS[min(max(failed_attempts, 1), len(GAPS)) - 1]
    jittered = gap * (1 - JITTER + 2 * JITTER * spread)
    at = now + jittered
    if at > created_at + RETRY_WINDOW:
        return None
    return at


def should_disable(failing_since: datetime | None, now: datetime) -> bool:
    """Return whether an endpoint has failed for long enough to be disabled."""
    return failing_since is not None and now - failing_since >= DISABLE_AFTER
