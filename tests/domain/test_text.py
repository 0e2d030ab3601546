"""The one text type every human-entered string passes: what it refuses, what it keeps, how names compare."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from domain.text import Name, comparison_key, multi_line, single_line, text_problem


class _Form(BaseModel):
    name: Name


class TestRefused:
    @pytest.mark.parametrize(
        ("value", "words"),
        [
            ("Acme\u202eLtd", "text-direction"),  # right-to-left override
            ("Acme\u2066Ltd\u2069", "text-direction"),  # isolates
            ("Acme\u200bLtd", "invisible"),  # zero-width space
            ("Ac\u00adme", "invisible"),  # soft hyphen
            ("Acme\ufeff", "invisible"),  # byte-order mark
            ("Acme\U000e0041", "invisible"),  # tag character
            ("Acme\x07", "control"),
            ("Acme\x85", "single line"),  # next-line (C1)
            ("Acme\r\nBcc: x@y.example", "single line"),
            ("Acme\u2028Ltd", "single line"),
            ("Acme\ud800", "surrogate"),
            ("Acme\ue000", "private-use"),
        ],
    )
    def test_single_line_refuses_with_a_reason(self, value: str, words: str) -> None:
        """Each hostile character class is refused, and the reason names the class in plain words."""
        problem = text_problem(value)
        assert problem is not None and words in problem
        with pytest.raises(ValueError, match=words):
            single_line(value)

    def test_multi_line_allows_line_breaks_but_not_overrides(self) -> None:
        """A multi-line field keeps its line breaks (CRLF becomes LF) and still refuses a direction override."""
        assert multi_line("First line\r\nSecond\tline") == "First line\nSecond\tline"
        with pytest.raises(ValueError, match="text-direction"):
            multi_line("First\n\u202eenil")

    def test_name_field_reports_the_rule(self) -> None:
        """A pydantic field of type ``Name`` refuses an override with a message naming the rule."""
        with pytest.raises(ValidationError, match="text-direction"):
            _Form(name="Dana\u202eWu")


class TestKept:
    def test_scripts_that_need_joiners_and_accents_pass_and_are_nfc(self) -> None:
        """Persian with a zero-width non-joiner, emoji with a joiner, and decomposed accents are kept (NFC)."""
        persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
        assert single_line(persian) == persian
        assert single_line("\U0001f469\u200d\U0001f4bb") == "\U0001f469\u200d\U0001f4bb"
        assert single_line("Cafe\u0301") == "Caf\u00e9"


class TestComparisonKey:
    @pytest.mark.parametrize(
        "look_alike",
        ["ACME Ltd", "acme ltd", "\uff21\uff23\uff2d\uff25 Ltd", "AC\u200bME Ltd", "AC\u00adME  Ltd", "ACME\u00a0Ltd"],
    )
    def test_look_alikes_share_a_key(self, look_alike: str) -> None:
        """Fullwidth letters, case, zero-width spaces, soft hyphens and odd spaces all fold onto one key."""
        assert comparison_key(look_alike) == comparison_key("Acme Ltd") == "acme ltd"

    def test_different_names_keep_different_keys(self) -> None:
        """Folding does not merge names that differ in a visible letter."""
        assert comparison_key("Acme Ltd") != comparison_key("Acne Ltd")
