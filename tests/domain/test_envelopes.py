"""The envelope rules: signing order, link tokens, one-time codes, box conversion, retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from weasyprint import HTML

from domain.assembly.records import SignatureBoxRecord
from domain.document_kind import DocumentKind
from domain.envelopes import (
    CONSENT_DISCLOSURES,
    OtpCheck,
    RetentionPolicy,
    Signer,
    SignerRole,
    SignerSpec,
    SignerStatus,
    check_otp,
    current_order,
    due_invitations,
    hash_otp,
    hash_token,
    new_otp,
    new_token,
    stamp_boxes,
    validate_signers,
)
from domain.errors import InvalidInput

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def signer(index: int, order: int, status: SignerStatus = SignerStatus.WAITING, role: str = "client") -> Signer:
    """A signer at ``order`` with ``status``."""
    return Signer(
        id=f"s{index}",
        envelope_id="e",
        position=index,
        name=f"Signer {index}",
        email=f"s{index}@x.example",
        title="T",
        role=SignerRole(role),
        order=order,
        status=status,
    )


class TestSigningOrder:
    def test_lowest_unsigned_order_is_the_turn(self) -> None:
        """Order 2 waits while anyone at order 1 has not signed; equal orders are invited together."""
        signers = [signer(0, 1, SignerStatus.SIGNED), signer(1, 1), signer(2, 2), signer(3, 2)]
        assert current_order(signers) == 1
        assert [s.id for s in due_invitations(signers)] == ["s1"]
        signers[1] = replace(signers[1], status=SignerStatus.SIGNED)
        assert [s.id for s in due_invitations(signers)] == ["s2", "s3"]

    def test_all_signed_has_no_turn(self) -> None:
        """When everyone signed there is no current order."""
        assert current_order([signer(0, 1, SignerStatus.SIGNED)]) is None

    def test_duplicate_emails_and_bad_orders_are_named(self) -> None:
        """The validation error names each bad field."""
        spec = SignerSpec(name="A", email="a@x.example", title="T", role=SignerRole.CLIENT, order=1)
        with pytest.raises(InvalidInput) as caught:
            validate_signers([spec, replace(spec, email="A@X.example", order=0)])
        assert {e.pointer for e in caught.value.errors} == {"/signers/1/email", "/signers/1/order"}


class TestSecrets:
    def test_tokens_are_256_bit_and_stored_hashed(self) -> None:
        """A token has 43 URL-safe characters (256 bits); the stored form is its SHA-256."""
        token, stored = new_token()
        assert len(token) == 43 and stored == hash_token(token) and token not in stored
        assert new_token()[0] != token

    def test_code_is_checked_expires_and_locks(self) -> None:
        """A right code passes, a wrong one fails, an old one expires, five tries lock."""
        code = new_otp()
        assert len(code) == 6 and code.isdigit()
        s = replace(signer(0, 1), otp_hash=hash_otp("s0", code), otp_expires_at=NOW + timedelta(minutes=10))
        assert check_otp(s, code, NOW, 5) is OtpCheck.OK
        assert check_otp(s, "x" + code[1:], NOW, 5) is OtpCheck.WRONG
        assert check_otp(s, code, NOW + timedelta(minutes=10), 5) is OtpCheck.EXPIRED
        assert check_otp(replace(s, otp_attempts=5), code, NOW, 5) is OtpCheck.LOCKED
        # A code is bound to its signer: the same digits do not open another signer's step.
        assert check_otp(replace(s, id="s9"), code, NOW, 5) is OtpCheck.WRONG

    def test_published_disclosure_exists(self) -> None:
        """The default disclosure version has a text."""
        assert "electronically" in CONSENT_DISCLOSURES["esign-consent-2"]


class TestBoxes:
    def test_bottom_left_boxes_become_top_left_per_role(self) -> None:
        """A renderer box [x1, y1, x2, y2] from the bottom maps to left/top from the page's top edge."""
        pdf = HTML(string="<style>@page{size:595pt 842pt;margin:0}</style><p>x</p>").write_pdf()
        assert pdf is not None
        boxes = [
            SignatureBoxRecord("a", "client", 0, 50.0, 100.0, 270.0, 180.0),
            SignatureBoxRecord("b", "msp", 0, 300.0, 100.0, 520.0, 180.0),
        ]
        out = stamp_boxes(bytes(pdf), boxes, [signer(0, 1, role="msp"), signer(1, 1), signer(2, 2)])
        assert out["s1"].left == 50.0 and out["s1"].top == pytest.approx(842 - 180) and out["s1"].height == 80.0
        assert out["s0"].left == 300.0
        assert "s2" not in out  # more client signers than client boxes: on the certificate only


class TestRetention:
    def test_years_by_kind(self) -> None:
        """Retain-until is N years after filing, by document kind, with a default."""
        policy = RetentionPolicy(mode="COMPLIANCE", years_by_kind={DocumentKind.WAIVER: 8}, default_years=7)
        assert policy.retain_until("waiver", NOW).year == 2034
        assert policy.retain_until("contract", NOW).year == 2033
        assert policy.retain_until("x", datetime(2028, 2, 29, tzinfo=UTC)).day == 28
