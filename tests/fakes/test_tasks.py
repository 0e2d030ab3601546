"""The fake task queue keeps the contract of the task port: tasks commit or roll back with their unit of work."""

from __future__ import annotations

import pytest

from domain.ports import TaskQueue
from tests.fakes.tasks import FakeTaskQueue
from tests.fakes.unit_of_work import FakeUnitOfWork


class TestFakeTaskQueue:
    def test_enqueued_task_is_kept_with_its_arguments(self) -> None:
        """A task enqueued in a unit of work that succeeds is kept, named, with its arguments."""
        fake = FakeTaskQueue()
        port: TaskQueue = fake
        with FakeUnitOfWork([fake]).begin():
            port.enqueue("complete-envelope", {"envelope_id": "e1"})
        assert fake.named("complete-envelope") == [{"envelope_id": "e1"}]

    def test_rolled_back_unit_takes_its_task_with_it(self) -> None:
        """A unit of work that raises leaves no task behind (no phantom task for a change not made)."""
        fake = FakeTaskQueue()
        with pytest.raises(RuntimeError), FakeUnitOfWork([fake]).begin():
            fake.enqueue("complete-envelope", {"envelope_id": "e1"})
            raise RuntimeError("the change failed")
        assert fake.queued == []
