"""Argon2id password hashes (argon2-cffi) and authenticator codes (pyotp): the real libraries, small parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from adapters.passwords import Argon2idHasher
from adapters.totp import AuthenticatorCodes, qr_svg

AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class TestArgon2id:
    def test_a_hash_is_argon2id_salted_and_checks_only_its_password(self) -> None:
        """Two hashes of one password differ (salt); each verifies it and nothing else."""
        hasher = Argon2idHasher(time_cost=1, memory_cost=8, parallelism=1)
        first, second = hasher.hash("correct horse"), hasher.hash("correct horse")
        assert first.startswith("$argon2id$") and first != second
        assert hasher.verify(first, "correct horse") and not hasher.verify(first, "correct horse!")
        assert not hasher.verify("not a hash", "correct horse")

    def test_weaker_parameters_ask_for_a_rehash(self) -> None:
        """A hash made with cheaper parameters than the hasher's is flagged for re-hashing at sign-in."""
        cheap = Argon2idHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
        assert Argon2idHasher(time_cost=2, memory_cost=16, parallelism=1).needs_rehash(cheap)
        assert not Argon2idHasher(time_cost=1, memory_cost=8, parallelism=1).needs_rehash(cheap)


class TestAuthenticatorCodes:
    def test_the_current_and_neighbouring_codes_pass_older_ones_fail(self) -> None:
        """A code of this 30 s step or the next/previous passes; two steps off, a wrong code or junk fail."""
        codes = AuthenticatorCodes()
        secret = codes.new_secret()
        totp = pyotp.TOTP(secret)
        assert codes.verify(secret, totp.at(AT), AT)
        assert codes.verify(secret, totp.at(AT - timedelta(seconds=30)), AT)
        assert not codes.verify(secret, totp.at(AT - timedelta(seconds=90)), AT)
        assert not codes.verify(secret, "12345", AT) and not codes.verify(secret, "abcdef", AT)

    def test_the_enrolment_uri_and_qr_code(self) -> None:
        """The otpauth URI names the account and issuer; the QR code is an inline SVG."""
        codes = AuthenticatorCodes()
        uri = codes.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "sam@msp.example", "Example MSP")
        assert uri.startswith("otpauth://totp/Example%20MSP:sam%40msp.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        svg = qr_svg(uri)
        assert svg.startswith("<svg") and "<?xml" not in svg
