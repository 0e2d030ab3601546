"""The task port: work a change needs done later, outside the request (sealing, mail, page images).

A task is named and carries JSON arguments. It is enqueued on the unit of work of the change that
needs it, so the change and its task commit together or not at all: no task for a change that was
rolled back, and no change whose task was lost. Every task is idempotent (a worker killed half way
runs it again), so enqueueing the same work twice is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class TaskQueue(Protocol):
    """Enqueues tasks in the caller's transaction."""

    def enqueue(self, task: str, args: Mapping[str, JsonValue]) -> None:
        """Queue task ``task`` with ``args``; it runs once the caller's transaction has committed."""
        ...
