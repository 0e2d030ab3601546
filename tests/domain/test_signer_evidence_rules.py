"""Pure rules behind the signer evidence: pages seen, name matching, approver binding, disclosure, attestation."""

from __future__ import annotations

import pytest

from domain.envelopes import CONSENT_DISCLOSURES, attestation_text, delivered_summary, disclosure_text, pages_seen
from domain.errors import InvalidInput
from domain.risks import Approver, check_approver_signers, names_match


class TestPagesSeen:
    @pytest.mark.parametrize(
        ("viewed", "count", "words"),
        [
            ((), 3, "no page of the 3-page document was shown"),
            ((0,), 1, "the one page"),
            ((0, 1, 2), 3, "all 3 pages"),
            ((0,), 3, "page 1 of 3"),
            ((0, 1, 4), 9, "pages 1-2 and 5 of 9"),
            ((0, 2, 3, 6), 9, "pages 1, 3-4 and 7 of 9"),
            ((7, 1, 1), 9, "pages 2 and 8 of 9"),
        ],
    )
    def test_words_name_exactly_the_pages_delivered(self, viewed: tuple[int, ...], count: int, words: str) -> None:
        """Runs of pages are joined, duplicates ignored, and a partial view names the total."""
        assert pages_seen(viewed, count) == words

    def test_pages_outside_the_document_are_ignored(self) -> None:
        """An index beyond the page count (a stale record) is not counted as seen."""
        assert pages_seen((0, 5), 2) == "page 1 of 2"


class TestApproverBinding:
    APPROVER = Approver(name="Marcus Lee", title="Owner", email="marcus@example.com")

    def test_names_match_ignoring_case_and_spacing(self) -> None:
        """Case and runs of spaces do not matter; another name does."""
        assert names_match("  marcus   LEE ", "Marcus Lee")
        assert not names_match("Marcus Leigh", "Marcus Lee")

    def test_the_approver_alone_is_accepted(self) -> None:
        """The named approver with their address is the one client signer allowed."""
        check_approver_signers(self.APPROVER, [(0, "MARCUS LEE", "Marcus@Example.com")])

    @pytest.mark.parametrize(
        ("signers", "pointers"),
        [
            ([(0, "Dana Wu", "marcus@example.com")], {"/signers/0/name"}),
            ([(1, "Marcus Lee", "dana@example.com")], {"/signers/1/email"}),
            ([], {"/signers"}),
            ([(0, "Marcus Lee", "marcus@example.com"), (1, "Dana Wu", "d@example.com")], {"/signers"}),
        ],
    )
    def test_anyone_else_is_refused_naming_the_field(
        self, signers: list[tuple[int, str, str]], pointers: set[str]
    ) -> None:
        """Another name, another address, no client signer or a second one is a 422 naming what is wrong."""
        with pytest.raises(InvalidInput) as info:
            check_approver_signers(self.APPROVER, signers)
        assert {e.pointer for e in info.value.errors} == pointers
        assert "Marcus Lee" in info.value.detail


class TestWhatSignersAreTold:
    def test_disclosure_names_the_paper_copy_contact(self) -> None:
        """Version 2 names the configured contact, or the sender when none is set, and never offers a reply."""
        text = disclosure_text("esign-consent-2", "contracts@msp.example")
        assert "by writing to contracts@msp.example" in text and "replying" not in text
        assert "the person who sent you this document" in disclosure_text("esign-consent-2", None)

    def test_published_version_one_is_unchanged(self) -> None:
        """A published disclosure is reproduced exactly as it was shown (its hash must not change)."""
        assert disclosure_text("esign-consent-1", "x@example.com") == CONSENT_DISCLOSURES["esign-consent-1"]

    def test_legal_name_ending_in_a_period_gets_one(self) -> None:
        """A legal name ending in "Ltd." ends the attestation sentence with one period."""
        text = attestation_text("Dana Wu", "Owner", "Northwind Dental Clinic Ltd.")
        assert text.endswith("on behalf of Northwind Dental Clinic Ltd.") and ".." not in text
        assert attestation_text("Dana Wu", "Owner", "Northwind").endswith("Northwind.")


class TestDeliveredSummary:
    @pytest.mark.parametrize(
        ("pages", "views", "words"),
        [
            ((), (), "no page of the 3-page document was shown"),
            ((0, 1, 2), (), "all 3 pages"),
            ((), ("reading_view",), "the whole document as text (reading view)"),
            (
                (0,),
                ("reading_view", "pdf_download"),
                "page 1 of 3, the whole document as text (reading view) and the PDF file (downloaded)",
            ),
        ],
    )
    def test_every_delivered_view_is_named(self, pages: tuple[int, ...], views: tuple[str, ...], words: str) -> None:
        """The certificate names page images, the reading view and the PDF download; "no page" only when none."""
        assert delivered_summary(pages, views, 3) == words
