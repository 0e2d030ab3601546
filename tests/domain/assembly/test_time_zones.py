"""Time zones print in plain words in clauses."""

from __future__ import annotations

import pytest

from domain.assembly.time_zones import zone_name


class TestZoneName:
    @pytest.mark.parametrize(
        ("zone", "words"),
        [
            ("America/Vancouver", "Pacific Time (Vancouver)"),
            ("America/Chicago", "Central Time (Chicago)"),
            ("Europe/London", "UK time (GMT, or BST in summer)"),
            ("America/Argentina/Buenos_Aires", "local time in Buenos Aires"),
        ],
    )
    def test_zone_reads_as_people_say_it(self, zone: str, words: str) -> None:
        """A known zone gets its everyday name and city; another one the local time of its city."""
        assert zone_name(zone) == words
