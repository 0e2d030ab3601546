"""``AuthenticatorCodes``: RFC 6238 time-based one-time codes (pyotp), and the enrolment QR code (segno).

Codes are 6 digits on 30-second steps, as every authenticator app expects; one step either side
is accepted for clock drift. The QR code is an inline SVG of the ``otpauth://`` URI, drawn on the
server (no image service sees the secret).
"""

from __future__ import annotations

import io
from datetime import datetime

import pyotp
import segno


class AuthenticatorCodes:
    """Issue TOTP secrets and check codes from an authenticator app."""

    def new_secret(self) -> str:
        """Return a fresh 160-bit base32 secret."""
        return pyotp.random_base32(32)

    def verify(self, secret: str, code: str, at: datetime) -> bool:
        """Return whether ``code`` (spaces allowed) is valid for ``secret`` at ``at``, one step of drift allowed."""
        digits = code.replace(" ", "").strip()
        if not digits.isdigit() or len(digits) != 6:
            return False
        return pyotp.TOTP(secret).verify(digits, for_time=at, valid_window=1)

    def provisioning_uri(self, secret: str, account: str, issuer: str) -> str:
        """Return the ``otpauth://totp/...`` URI for an authenticator app."""
        return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Return an SVG QR code of ``uri`` (no XML declaration, to inline in a page)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=5, border=2, title="QR code")
    return out.getvalue().decode("utf-8")
