"""The risk fake keeps the contract of ``domain.ports.risks``: unique record ids, history kept, claims by date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from domain.errors import Conflict
from domain.ports import RiskRepository
from domain.risks import DocumentLink, RiskEntry, RiskStatus, RiskTransition
from tests.fakes.risks import FakeRiskRepository

AT = datetime(2026, 3, 1, tzinfo=UTC)


def entry(entry_id: str, record_id: str, review_on: date, status: RiskStatus = RiskStatus.ACCEPTED) -> RiskEntry:
    """Return a register entry."""
    return RiskEntry(
        entry_id, record_id, "c1", "mfa", "No MFA", "Turn on MFA", date(2026, 1, 1), ("breach",), "Marcus Lee",
        "CEO", None, "I may bind the client", review_on, status, AT, AT,
    )  # fmt: skip


class TestFakeRiskRepository:
    def test_record_ids_are_unique_and_history_is_kept_in_order(self) -> None:
        """A second entry with a taken record id is a Conflict; get returns letters and numbered history."""
        port: RiskRepository = FakeRiskRepository()
        port.add(entry("r1", "RA-1", date(2026, 12, 31)))
        with pytest.raises(Conflict):
            port.add(entry("r2", "RA-1", date(2026, 12, 31)))
        port.add_transition("r1", RiskTransition(0, None, RiskStatus.DRAFT, AT, "key:a"))
        port.add_transition("r1", RiskTransition(0, RiskStatus.DRAFT, RiskStatus.ACCEPTED, AT, "key:a"))
        port.link_document("r1", DocumentLink("d1", 2, 2))
        port.link_document("r1", DocumentLink("d1", 1, 1))
        stored = port.get("r1")
        assert stored is not None and [(h.seq, h.to_status) for h in stored.history] == [
            (1, RiskStatus.DRAFT),
            (2, RiskStatus.ACCEPTED),
        ]
        assert [d.version for d in stored.documents] == [1, 2]
        assert port.by_document("d1") == stored and port.by_document("d9") is None and port.get("r9") is None

    def test_reviews_are_claimed_by_status_and_date_soonest_first(self) -> None:
        """Only accepted or refused entries whose review date has come are due; review-due ones are for expiry."""
        port: RiskRepository = FakeRiskRepository()
        port.add(entry("r1", "RA-1", date(2026, 6, 1)))
        port.add(entry("r2", "RA-2", date(2026, 5, 1), RiskStatus.REFUSED))
        port.add(entry("r3", "RA-3", date(2026, 4, 1), RiskStatus.DRAFT))
        port.add(entry("r4", "RA-4", date(2026, 7, 1)))
        assert [e.id for e in port.due_for_review(date(2026, 6, 1))] == ["r2", "r1"]
        port.save(replace(entry("r1", "RA-1", date(2026, 6, 1)), status=RiskStatus.REVIEW_DUE))
        assert [e.id for e in port.due_for_expiry(date(2026, 6, 1))] == ["r1"]
        assert [e.id for e in port.search(client_id="c1", status=RiskStatus.ACCEPTED)] == ["r4"]
