"""Money as the ledger keeps it: an ISO 4217 currency and an integer amount of its minor units.

Amounts arrive as decimal strings (``"1250.00"``) and are stored as integers (125000 cents), so
that no float ever touches a balance. A currency's minor unit is 2 decimals unless ISO 4217 says
otherwise (0 for JPY, KRW ...; 3 for BHD, KWD ...). An amount with more decimals than its currency
has is refused rather than rounded: rounding would change what the invoice says.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pycountry

_ZERO_DECIMALS = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
_AMOUNT_RE = re.compile(r"^\d{1,12}(\.\d{1,3})?$")
MAX_MINOR = 10**14


def is_currency(code: str) -> bool:
    """Return whether ``code`` is an ISO 4217 alphabetic currency code (upper case)."""
    return bool(re.fullmatch(r"[A-Z]{3}", code)) and pycountry.currencies.get(alpha_3=code) is not None


def minor_digits(currency: str) -> int:
    """Return how many decimals the currency's minor unit has (2 for most)."""
    if currency in _ZERO_DECIMALS:
        return 0
    if currency in _THREE_DECIMALS:
        return 3
    return 2


def parse_amount(text: str, currency: str) -> int:
    """Return ``text`` (a plain decimal string such as ``1250.5``) in minor units of ``currency``.

    Raises ``ValueError`` with a reason a person can act on.
    """
    cleaned = text.strip()
    if not _AMOUNT_RE.match(cleaned):
        raise ValueError("must be a positive decimal number such as 1250.00 (no sign, separators or symbol)")
    digits = minor_digits(currency)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
        raise ValueError("must be a decimal number") from exc
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise ValueError(f"{currency} has {digits} decimal places; the amount has more")
    minor = int(value.scaleb(digits))
    if minor <= 0:
        raise ValueError("must be more than zero")
    if minor >= MAX_MINOR:
        raise ValueError("is too large")
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    """Return ``minor`` units of ``currency`` as an exact decimal in major units."""
    return Decimal(minor).scaleb(-minor_digits(currency))


def format_amount(minor: int, currency: str) -> str:
    """Return ``minor`` units as a plain decimal string with the currency's decimals (``"1250.00"``)."""
    digits = minor_digits(currency)
    return f"{to_decimal(minor, currency):.{digits}f}"
