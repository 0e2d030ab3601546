"""Admission: a process lets in at most as many requests at once as its database pool has connections.

Our routes are synchronous: each runs in a thread of the server's pool (40 by default) and holds a
pooled database connection (15 by default) for most of its life. With more requests in flight than
connections, the extra threads wait for a connection for ``pool_timeout_seconds`` and then answer
503, although nothing is wrong but a burst (200 signers opening their links at once did that); and
the threads that do hold connections share the interpreter lock with all the waiting ones, so every
statement, including those run while holding the audit chain's head lock, takes longer.

Here a request waits for a slot before any thread or connection is taken, in the event loop where
waiting costs nothing, for at most ``queue_seconds``; after that it answers 503 problem+json with
``Retry-After`` (a person's browser gets the plain busy page), and nothing has been done. Health
probes and metrics are never queued.

Two lanes: a request that records what a person did (any method but GET and HEAD: a signature, a
consent, a decline, a staff form) takes the next free slot before any page or image load waiting
beside it. In a burst the reads are many and each is cheap to retry; the click that commits a
signature is one, and its person is the one left staring at a spinner. Within a lane, first come,
first served; a read still runs as soon as no action is waiting. With two slots or more, reads never
hold the last one: an action arriving in a burst of page loads starts at once.
"""

from __future__ import annotations

from collections import deque

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_response

_NEVER_QUEUED = frozenset({"/healthz", "/readyz", "/metrics"})
_READS = frozenset({"GET", "HEAD"})
ACTIONS, READS = 0, 1


class Slots:
    """A counting semaphore with two lanes: a freed slot goes to the oldest waiting action, else the oldest read.

    With two slots or more, reads hold at most all but one: a slot is always left for an action, so
    a signature never waits for a page load to finish first.
    """

    def __init__(self, count: int) -> None:
        """Start with ``count`` free slots."""
        self.free = count
        self.read_limit = count - 1 if count > 1 else 1
        self.reads = 0  # slots held by reads now
        self._waiting: tuple[deque[anyio.Event], deque[anyio.Event]] = (deque(), deque())

    def _may_take(self, lane: int) -> bool:
        if self.free <= 0 or self._waiting[ACTIONS]:
            return False
        return lane == ACTIONS or (not self._waiting[READS] and self.reads < self.read_limit)

    async def acquire(self, lane: int) -> None:
        """Take a slot, waiting in ``lane`` (``ACTIONS`` or ``READS``) while none is free or others wait ahead."""
        if self._may_take(lane):
            self._take(lane)
            return
        granted = anyio.Event()
        self._waiting[lane].append(granted)
        try:
            await granted.wait()
        except BaseException:
            if granted.is_set():
                self.release(lane)  # handed a slot just as the wait was cancelled: pass it on
            else:
                self._waiting[lane].remove(granted)
            raise

    def _take(self, lane: int) -> None:
        self.free -= 1
        if lane == READS:
            self.reads += 1

    @property
    def waiting(self) -> int:
        """How many requests wait for a slot now, in both lanes."""
        return len(self._waiting[ACTIONS]) + len(self._waiting[READS])

    def release(self, lane: int) -> None:
        """Give back a slot of ``lane`` and hand free slots on: to waiting actions first, then to reads."""
        self.free += 1
        if lane == READS:
            self.reads -= 1
        while self.free > 0:
            if self._waiting[ACTIONS]:
                self._take(ACTIONS)
                self._waiting[ACTIONS].popleft().set()
            elif self._waiting[READS] and self.reads < self.read_limit:
                self._take(READS)
                self._waiting[READS].popleft().set()
            else:
                return


class AdmissionMiddleware:
    """Let at most ``slots`` requests into the app at once (actions first); the others wait up to ``queue_seconds``."""

    def __init__(self, app: ASGIApp, slots: int, queue_seconds: float) -> None:
        """Wrap ``app``; ``slots`` is the database pool's capacity (pool size plus overflow)."""
        self.app = app
        self.slots = slots
        self.queue_seconds = queue_seconds
        self._free: Slots | None = None  # made in the server's event loop, at the first request

    def waiting(self) -> int:
        """How many requests wait for a slot now."""
        return self._free.waiting if self._free is not None else 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for a slot (or answer 503 once ``queue_seconds`` have passed), then run the request."""
        if scope["type"] != "http" or scope["path"] in _NEVER_QUEUED:
            await self.app(scope, receive, send)
            return
        if self._free is None:
            self._free = Slots(self.slots)
        admitted = False
        lane = READS if scope["method"] in _READS else ACTIONS
        with anyio.move_on_after(self.queue_seconds):
            await self._free.acquire(lane)
            admitted = True  # no await between: the deadline cannot cancel a slot already taken
        if not admitted:
            busy = problem_response(
                Request(scope),
                503,
                "Service busy",
                "The service is busy right now; nothing was changed. Retry in a few seconds.",
                type_slug="busy",
                headers={"Retry-After": "5"},
            )
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._free.release(lane)
