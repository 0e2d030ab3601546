"""An in-memory ``TaskQueue``: enqueued tasks are rows of the fake database, kept or rolled back with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from domain.ports import JsonValue
from tests.fakes.unit_of_work import Transactional


@dataclass(frozen=True)
class QueuedTask:
    """One enqueued task."""

    task: str
    args: dict[str, Any]


class FakeTaskQueue(Transactional):
    """Keeps enqueued tasks in order; a rolled-back unit of work takes its tasks with it."""

    TABLES: ClassVar[tuple[str, ...]] = ("queued",)

    def __init__(self) -> None:
        self.queued: list[QueuedTask] = []

    def enqueue(self, task: str, args: Mapping[str, JsonValue]) -> None:
        """Record the task and its arguments."""
        self.queued.append(QueuedTask(task, dict(args)))

    def named(self, task: str) -> list[dict[str, Any]]:
        """Return the arguments of every queued task named ``task``."""
        return [queued.args for queued in self.queued if queued.task == task]
