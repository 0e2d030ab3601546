"""Transactions for the in-memory fakes: what a unit of work commits together, or rolls back together.

The real repositories never commit; the request (or one invoice of a dunning run) is the unit of
work, and a failure rolls back every row it wrote. The fakes keep that promise so a service test can
show what survives a failure: each transactional fake names the attributes that hold its rows, and
``FakeUnitOfWork`` copies them on entry and puts them back when the block raises. Effects outside the
database (a mail handed to the relay, a blob written to the object store) are not rolled back, exactly
as in production.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar


class Transactional:
    """A fake whose rows a unit of work can snapshot and restore; ``TABLES`` names the attributes."""

    TABLES: ClassVar[tuple[str, ...]] = ()

    def snapshot(self) -> dict[str, Any]:
        """Return a copy of every table of this fake (rows are frozen records, so the containers suffice)."""
        return {name: copy.copy(getattr(self, name)) for name in self.TABLES}

    def restore(self, state: dict[str, Any]) -> None:
        """Put back the tables saved by ``snapshot`` (a rollback)."""
        for name, value in state.items():
            setattr(self, name, value)


class FakeUnitOfWork:
    """Commits the writes of a block to the given fakes, or rolls all of them back if it raises.

    One unit at a time: the rollback restores whole tables, so units must not overlap (``run_dunning``
    with its default single worker; concurrency is tested against PostgreSQL, not here).
    """

    def __init__(self, fakes: Sequence[Transactional]) -> None:
        self._fakes = tuple(fakes)
        self.commits = 0
        self.rollbacks = 0

    @contextmanager
    def begin(self) -> Iterator[None]:
        """Run the block as one transaction over every fake."""
        saved = [(fake, fake.snapshot()) for fake in self._fakes]
        try:
            yield
        except BaseException:
            for fake, state in saved:
                fake.restore(state)
            self.rollbacks += 1
            raise
        self.commits += 1
