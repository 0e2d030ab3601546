"""Which web origins may embed signing: only plain https origins (http for loopback), normalised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.embedding import embed_expiry, embed_origin, frame_ancestors
from undersign.settings import SigningSettings


class TestEmbedOrigin:
    @pytest.mark.parametrize(
        ("value", "origin"),
        [
            ("https://Portal.MSP.example/", "https://portal.msp.example"),
            ("https://portal.msp.example:443", "https://portal.msp.example"),
            ("https://portal.msp.example:8443", "https://portal.msp.example:8443"),
            ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ],
    )
    def test_origins_are_normalised(self, value: str, origin: str) -> None:
        """Case, a trailing slash and the default port do not make a different origin."""
        assert embed_origin(value) == origin

    @pytest.mark.parametrize(
        "value",
        [
            "*",
            "https://*.msp.example",
            "https://portal.msp.example/app",
            "http://portal.msp.example",
            "https://user@portal.msp.example",
            "portal.msp.example",
            "https://portal.msp.example:99999",
            "https://portal.msp.example;script-src *",
        ],
    )
    def test_anything_wider_than_one_origin_is_refused(self, value: str) -> None:
        """Wildcards, paths, plain http off loopback, user parts and CSP syntax are refused with a reason."""
        with pytest.raises(ValueError, match=r"origin|https|port"):
            embed_origin(value)

    def test_settings_refuse_a_bad_origin(self) -> None:
        """A bad origin in UNDERSIGN_SIGNING__EMBED_ORIGINS stops the settings from loading."""
        with pytest.raises(ValidationError, match="not a web origin"):
            SigningSettings(embed_origins=["https://portal.example/path"])
        assert SigningSettings(embed_origins=["https://Portal.example/"]).embed_origins == ["https://portal.example"]

    def test_frame_ancestors_and_ttl_bounds(self) -> None:
        """No origin means no framing; a TTL is kept between 1 and 60 minutes."""
        now = datetime(2026, 1, 1, tzinfo=UTC)
        assert frame_ancestors(None) == "'none'" and frame_ancestors("https://a.example") == "https://a.example"
        assert embed_expiry(now, 600) == now + timedelta(minutes=60)
        assert embed_expiry(now, 0) == now + timedelta(minutes=1)
