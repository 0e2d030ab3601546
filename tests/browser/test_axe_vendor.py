"""The vendored axe-core file is the one its README names, with its MPL-2.0 licence header intact."""

from __future__ import annotations

import hashlib

from tests.browser.axe import AXE_SOURCE

SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


def test_vendored_axe_is_the_documented_release() -> None:
    """axe.min.js hashes to the SHA-256 recorded in tests/browser/vendor/README.md and keeps its licence header."""
    data = AXE_SOURCE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256
    assert SHA256 in (AXE_SOURCE.parent / "README.md").read_text(encoding="utf-8")
    head = data[:600].decode()
    assert head.startswith("/*! axe v4.14.1") and "Mozilla Public" in head
