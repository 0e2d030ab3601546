"""Settled rows: remembered per process, bounded, and never a missing or pending value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from storage.envelope_repository import SqlEnvelopeRepository
from storage.page_image_repository import SqlPageImages, mark_ready
from storage.settled_rows import SettledRows
from tests.fakes.tasks import FakeTaskQueue
from tests.storage.test_envelope_repository import envelope
from undersign.runtime import Runtime

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _statements(runtime: Runtime) -> list[str]:
    """Collect every SQL statement the runtime's engine sends from now on."""
    seen: list[str] = []
    event.listen(runtime.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


class TestSettledRows:
    def test_keeps_and_returns_values(self) -> None:
        """A kept value is returned for its key; an unknown key gives None."""
        rows = SettledRows(max_entries=4)
        rows.keep(("grant", "a"), 1)
        assert rows.get(("grant", "a")) == 1
        assert rows.get(("grant", "b")) is None

    def test_never_keeps_none(self) -> None:
        """None is not remembered, so a missing row is asked for again next time."""
        rows = SettledRows(max_entries=4)
        rows.keep("k", None)
        assert len(rows) == 0

    def test_least_recently_used_leaves_first(self) -> None:
        """Beyond the limit the entry used longest ago is dropped, not the one just read."""
        rows = SettledRows(max_entries=2)
        rows.keep("a", 1)
        rows.keep("b", 2)
        assert rows.get("a") == 1
        rows.keep("c", 3)
        assert (rows.get("a"), rows.get("b"), rows.get("c")) == (1, None, 3)

    def test_zero_entries_keeps_nothing(self) -> None:
        """A limit of 0 turns the memory off."""
        rows = SettledRows(max_entries=0)
        rows.keep("a", 1)
        assert rows.get("a") is None


class TestGrantsAreReadOnce:
    def test_a_grant_is_read_once_per_process(self, runtime: Runtime) -> None:
        """A link's grant is queried once; later sessions sharing the settled rows get it without a query."""
        stored = envelope(NOW + timedelta(days=1))
        token_hash = uuid.uuid4().hex
        with runtime.sessions.begin() as session:
            repo = SqlEnvelopeRepository(session)
            repo.add(stored)
            repo.add_token(token_hash, stored.signers[0].id, stored.id, NOW)
        settled = SettledRows()
        seen = _statements(runtime)
        with runtime.sessions() as session:
            first = SqlEnvelopeRepository(session, settled).grant(token_hash)
        with runtime.sessions() as session:
            again = SqlEnvelopeRepository(session, settled).grant(token_hash)
        assert first == again and first is not None and first.signer_id == stored.signers[0].id
        assert sum("envelope_tokens" in s for s in seen) == 1

    def test_an_unknown_link_is_asked_again(self, runtime: Runtime) -> None:
        """A token with no grant yet is not remembered: once issued, the same process finds it."""
        stored = envelope(NOW + timedelta(days=1))
        token_hash = uuid.uuid4().hex
        settled = SettledRows()
        with runtime.sessions.begin() as session:
            repo = SqlEnvelopeRepository(session, settled)
            repo.add(stored)
            assert repo.grant(token_hash) is None
            repo.add_token(token_hash, stored.signers[0].id, stored.id, NOW)
        with runtime.sessions() as session:
            found = SqlEnvelopeRepository(session, settled).grant(token_hash)
        assert found is not None and found.envelope_id == stored.id


class TestPageCountsAreReadOnceReady:
    def test_pending_is_asked_again_and_ready_is_remembered(self, runtime: Runtime) -> None:
        """While a render is pending every call asks the database; once ready, the count is remembered."""
        sha = uuid.uuid4().hex * 2
        settled = SettledRows()
        with runtime.sessions.begin() as session:
            pages = SqlPageImages(session, FakeTaskQueue(), NOW, settled)
            pages.request(sha, "key", None)
            assert pages.ready(sha) is None
        mark_ready(runtime.sessions, sha, 7, NOW)
        seen = _statements(runtime)
        for _ in range(3):
            with runtime.sessions() as session:
                assert SqlPageImages(session, FakeTaskQueue(), NOW, settled).ready(sha) == 7
        assert sum("page_images" in s for s in seen) == 1
