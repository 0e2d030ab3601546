"""Canonical JSON and time text: the byte form every audit hash and signature depends on."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.audit import Actor, AuditEvent, canonical_json, format_time, parse_time
from domain.errors import InvalidInput

from .support import build_chain


class TestCanonicalJson:
    def test_sorts_keys_and_drops_whitespace(self) -> None:
        """Keys come out sorted by code point, at every level, with no spaces."""
        assert canonical_json({"b": 1, "a": {"z": None, "A": [True, False]}}) == (
            b'{"a":{"A":[true,false],"z":null},"b":1}'
        )

    def test_writes_non_ascii_as_utf8_and_escapes_only_controls(self) -> None:
        """Non-ASCII text is literal UTF-8; quote, backslash and U+0000..U+001F are escaped, nothing else."""
        value = {"k": 'Zoë "☕" \\ /\n\t\x01\x7f\u2028😀'}
        assert canonical_json(value) == ('{"k":"Zoë \\"☕\\" \\\\ /\\n\\t\\u0001\x7f\u2028😀"}'.encode())

    def test_does_not_normalise_unicode(self) -> None:
        """Composed and decomposed forms stay different bytes: the text is hashed exactly as recorded."""
        assert canonical_json("\u00e9") != canonical_json("e\u0301")

    def test_refuses_floats_with_a_pointer(self) -> None:
        """A float anywhere is refused and the error names where it is."""
        with pytest.raises(InvalidInput) as caught:
            canonical_json({"fees": [{"amount": 12.5}]})
        assert [error.pointer for error in caught.value.errors] == ["/fees/0/amount"]

    def test_refuses_nan_and_unsafe_integers(self) -> None:
        """NaN and integers beyond 2**53 - 1 are refused; the boundary itself is fine."""
        assert canonical_json(2**53 - 1) == b"9007199254740991"
        for bad in (float("nan"), 2**53, -(2**53)):
            with pytest.raises(InvalidInput):
                canonical_json({"n": bad})

    def test_refuses_lone_surrogates_non_string_keys_and_other_types(self) -> None:
        """Values that are not Unicode-text JSON are refused rather than guessed at."""
        for bad in ({"s": "\ud800"}, {"\udfff": 1}, {1: "x"}, {"d": datetime(2026, 1, 1, tzinfo=UTC)}, {"b": b"x"}):
            with pytest.raises(InvalidInput):
                canonical_json(bad)

    def test_matches_json_dumps_with_the_documented_settings(self) -> None:
        """The definition in the docs (json.dumps with sort_keys, compact separators, UTF-8) is what we write."""
        value = {"é": ["ü", 1, None], "a": {"c": "\x00", "b": True}}
        documented = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical_json(value) == documented.encode("utf-8")


class TestTimeText:
    def test_formats_utc_with_microseconds_and_z(self) -> None:
        """Times are written in UTC with exactly six fractional digits and a Z."""
        moment = datetime(2026, 1, 5, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
        assert format_time(moment) == "2026-01-05T10:00:00.000005Z"

    def test_round_trips(self) -> None:
        """Parsing what was formatted gives the same instant back."""
        moment = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        assert parse_time(format_time(moment)) == moment

    def test_refuses_naive_times(self) -> None:
        """A naive datetime has no defined instant and is refused."""
        with pytest.raises(InvalidInput):
            format_time(datetime(2026, 1, 5, 10, 0))

    @pytest.mark.parametrize(
        "text",
        [
            "2026-01-05T10:00:00Z",
            "2026-01-05T10:00:00.000000+00:00",
            "2026-01-05 10:00:00.000000Z",
            "2026-02-30T10:00:00.000000Z",
        ],
    )
    def test_parse_accepts_only_the_exact_form(self, text: str) -> None:
        """Other spellings of a time (or impossible dates) are refused."""
        with pytest.raises(InvalidInput):
            parse_time(text)


class TestEventSerialisation:
    def test_golden_event_bytes_and_hash_never_change(self) -> None:
        """A fixed event keeps its exact bytes and hash: changing either would orphan every stored chain."""
        event = AuditEvent(
            seq=1,
            at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
            actor=Actor("signer", "zoë@client.example", None),
            action="envelope.signed",
            subjects={"envelope": "ENV-1", "client": "Café"},
            ip="203.0.113.7",
            user_agent=None,
            payload_sha256=None,
            document_sha256="ab" * 32,
            prev_hash="0" * 64,
            hash="",
        )
        assert event.canonical_bytes() == (
            '{"action":"envelope.signed","actor":{"id":"zoë@client.example","kind":"signer","role":null},'
            '"at":"2026-01-05T10:00:00.000000Z","document_sha256":"' + "ab" * 32 + '","ip":"203.0.113.7",'
            '"payload_sha256":null,"prev_hash":"' + "0" * 64 + '","seq":1,'
            '"subjects":{"client":"Café","envelope":"ENV-1"},"user_agent":null,"v":1}'
        ).encode("utf-8")
        assert event.computed_hash() == "8195f85315098441fabed89b71bc545aab66952d372708c7c2ded0ad9079207e"

    def test_fast_writer_equals_the_definition_for_a_varied_chain(self) -> None:
        """The hand-written event serialiser equals canonical_json of the event's members."""
        for event in build_chain(30):
            assert event.to_json_line() == canonical_json(event.to_json_dict()) + b"\n"

    @settings(max_examples=200, deadline=None)
    @given(
        text=st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
        subjects=st.dictionaries(
            st.text(max_size=8).filter(str.isascii),
            st.text(st.characters(blacklist_categories=["Cs"]), max_size=12),
            max_size=4,
        ),
        seq=st.integers(min_value=1, max_value=2**53 - 1),
        moment=st.datetimes(timezones=st.just(UTC)),
    )
    def test_fast_writer_equals_the_definition_for_any_text(
        self, text: str, subjects: dict[str, str], seq: int, moment: datetime
    ) -> None:
        """For arbitrary Unicode text in every string member, both writers give the same bytes."""
        event = AuditEvent(
            seq=seq,
            at=moment,
            actor=Actor(text, text, text or None),
            action=text,
            subjects=subjects,
            ip=text,
            user_agent=text,
            payload_sha256=None,
            document_sha256=text,
            prev_hash=text,
            hash=text,
        )
        assert event.to_json_line() == canonical_json(event.to_json_dict()) + b"\n"
