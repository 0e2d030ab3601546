"""The risk register's pure rules: lifecycle transitions, entries from letter data, review dates, the chart."""

from __future__ import annotations

import itertools
import json
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml
from lxml import etree

from domain.assembly.paper import Paper
from domain.errors import InvalidInput, InvalidTransition
from domain.risk_report import chart_svg, refuse_every_url, render_report
from domain.risks import (
    ALLOWED,
    RiskEntry,
    RiskStatus,
    check_review_date,
    check_transition,
    entry_from_letter,
    review_due,
)
from undersign.settings import REPO_ROOT

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
WAIVERS = REPO_ROOT / "templates" / "waivers"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    """The shipped risk catalogue."""
    data: dict[str, Any] = yaml.safe_load((WAIVERS / "risks.yaml").read_text())["risks"]
    return data


@pytest.fixture
def letter() -> dict[str, Any]:
    """The MFA sample letter's variables."""
    data: dict[str, Any] = json.loads((WAIVERS / "decline-of-service/samples/mfa-ra-2026-0042.json").read_text())
    return data


def entry(catalogue: dict[str, Any], letter: dict[str, Any], **changes: Any) -> RiskEntry:
    """A draft entry from the sample letter, with fields changed."""
    made = entry_from_letter(entry_id="R1", client_id="C1", variables=letter, catalogue=catalogue, now=NOW)
    return replace(made, **changes)


class TestLifecycle:
    @pytest.mark.parametrize(
        ("path"),
        [
            ["draft", "sent", "viewed", "accepted", "review-due", "renewed", "accepted"],
            ["draft", "sent", "refused-to-sign", "review-due", "expired"],
            ["draft", "accepted", "remediated"],
            ["draft", "viewed", "accepted", "revoked"],
        ],
    )
    def test_documented_paths_are_allowed(self, path: list[str]) -> None:
        """Each path through the lifecycle in domain.md is allowed step by step."""
        for current, target in itertools.pairwise(path):
            check_transition(RiskStatus(current), RiskStatus(target))

    @pytest.mark.parametrize(
        ("current", "target"),
        [
            ("accepted", "sent"),
            ("revoked", "accepted"),
            ("remediated", "renewed"),
            ("expired", "review-due"),
            ("draft", "review-due"),
            ("refused-to-sign", "accepted"),
        ],
    )
    def test_other_steps_are_refused(self, current: str, target: str) -> None:
        """Going back, leaving a final state or skipping acceptance is an InvalidTransition (409)."""
        with pytest.raises(InvalidTransition):
            check_transition(RiskStatus(current), RiskStatus(target))

    def test_final_states_have_no_way_out(self) -> None:
        """Revoked, remediated and expired are final."""
        assert {s for s, nxt in ALLOWED.items() if not nxt} == {
            RiskStatus.REVOKED,
            RiskStatus.REMEDIATED,
            RiskStatus.EXPIRED,
        }

    def test_moved_checks_and_stamps(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """RiskEntry.moved applies the rules and sets updated_at."""
        later = datetime(2026, 3, 2, tzinfo=UTC)
        accepted = entry(catalogue, letter).moved(RiskStatus.ACCEPTED, later, accepted_at=later)
        assert accepted.status is RiskStatus.ACCEPTED and accepted.updated_at == later
        with pytest.raises(InvalidTransition):
            accepted.moved(RiskStatus.DRAFT, later)


class TestEntryFromLetter:
    def test_fields_come_from_letter_and_catalogue(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """Record id, risk, approver and dates come from the letter; control and consequences from the catalogue."""
        made = entry(catalogue, letter)
        assert (made.record_id, made.risk, made.status) == ("RA-2026-0042", "mfa", RiskStatus.DRAFT)
        assert (made.approver_name, made.approver_title) == ("Marcus Lee", "Owner and Managing Director")
        assert made.date_first_recommended == date(2026, 1, 12) and made.review_on == date(2026, 12, 31)
        assert made.title == catalogue["mfa"]["title"]
        assert len(made.consequences) == len(catalogue["mfa"]["consequences"]) + 1

    def test_letter_overrides_control(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """A recommended_control in the letter replaces the catalogue text."""
        made = entry(catalogue, {**letter, "recommended_control": "Use  security keys."})
        assert made.recommended_control == "Use security keys."

    def test_unknown_risk_is_refused(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """A risk key missing from the catalogue is InvalidInput."""
        with pytest.raises(InvalidInput):
            entry(catalogue, {**letter, "risk": "quantum"})


class TestReviews:
    def test_review_date_within_twelve_months(self) -> None:
        """A review date up to a year after acceptance is fine; later or not after it is refused."""
        check_review_date(date(2026, 3, 1), date(2027, 3, 1))
        for bad in (date(2027, 3, 2), date(2026, 3, 1)):
            with pytest.raises(InvalidInput):
                check_review_date(date(2026, 3, 1), bad)

    def test_review_due_only_for_decided_records(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """Accepted or refused records become due on their review date; drafts never do."""
        draft = entry(catalogue, letter)
        day = date(2026, 12, 31)
        assert not review_due(draft, day)
        assert review_due(replace(draft, status=RiskStatus.ACCEPTED), day)
        assert not review_due(replace(draft, status=RiskStatus.ACCEPTED), date(2026, 12, 30))
        assert review_due(replace(draft, status=RiskStatus.REFUSED), day)


class TestReport:
    def test_chart_counts_open_accepted_by_category(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """The SVG has one bar per category of accepted or review-due records, and nothing for the rest."""
        base = entry(catalogue, letter)
        entries = [
            replace(base, status=RiskStatus.ACCEPTED),
            replace(base, status=RiskStatus.REVIEW_DUE),
            replace(base, risk="edr", title="No endpoint detection", status=RiskStatus.ACCEPTED),
            replace(base, risk="backups", title="No offsite backups", status=RiskStatus.REVOKED),
        ]
        svg = chart_svg(entries)
        assert svg.count("<rect") == 2 and f">{base.title}<" in svg and ">No endpoint detection<" in svg
        assert "backups" not in svg
        assert "No open accepted risks" in chart_svg([base])

    def test_fetcher_refuses_everything(self) -> None:
        """The report's URL fetcher loads no file and no network address."""
        for url in ("file:///etc/passwd", "http://169.254.169.254/", "data:text/plain,x"):
            with pytest.raises(ValueError):
                refuse_every_url(url)

    def test_markup_in_names_is_escaped(self, catalogue: dict[str, Any], letter: dict[str, Any]) -> None:
        """A client name with markup renders as text (an <img> pointing at a file is never fetched)."""
        pdf = render_report('<img src="file:///etc/passwd">', [entry(catalogue, letter)], NOW)
        assert pdf.startswith(b"%PDF")


class TestReportLayout:
    def test_letterhead_page_numbers_plain_words_and_a_table_inside_the_page(
        self, catalogue: dict[str, Any], letter: dict[str, Any]
    ) -> None:
        """The report carries the MSP letterhead and page numbers, plain outcomes, and no word past the margin."""
        base = entry(catalogue, letter)
        signer = {
            "name": "Carla Mendes",
            "title": "Office Manager",
            "email": "carla.mendes@northwind-dental-clinic.example",
        }
        rows = [
            replace(base, status=RiskStatus.ACCEPTED, accepted_at=NOW, signers=(signer,)),
            replace(base, record_id="RA-2026-0043", status=RiskStatus.REVIEW_DUE, accepted_at=NOW, signers=(signer,)),
        ] * 12
        pdf = render_report("Northwind Dental", rows, NOW, msp_name="Acme IT Services Ltd", paper=Paper.LETTER)
        xhtml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        root = etree.fromstring(xhtml, parser=etree.XMLParser(recover=True))
        pages = list(root.iter("{*}page"))
        assert len(pages) >= 2 and float(pages[0].get("width")) == 612.0
        for page in pages:
            width = float(page.get("width"))
            assert all(float(w.get("xMax")) <= width - 40 for w in page.iter("{*}word"))
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert text.count("Acme IT Services Ltd") == len(pages)
        assert f"Page {len(pages)} of {len(pages)}" in text
        flat = " ".join(text.split())
        assert "Accepted; now due for review" in flat and "now: accepted" not in flat and "accepted now" not in flat
