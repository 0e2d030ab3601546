"""E-mail addresses: one parser for every address undersign mails or records.

An address field holds exactly one bare address: ``name@domain.tld``. Display names
(``Pat <pat@x.example>``), lists (``victim,attacker@x.example``), quoted local parts, comments and
anything with white space or control characters are refused, because each of them is a way to
make one field mail someone other than the person shown. The domain must have a dot and must not
be a special-use name (``localhost``, ``.local``, ``.test`` ...). The parser is the
``email-validator`` package without DNS lookups (a typed address is judged by its form only).
"""

from __future__ import annotations

from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

MAX_LENGTH = 254  # RFC 5321 path limit less the angle brackets


def email_problem(value: str) -> str | None:
    """Return why ``value`` is not one plain e-mail address, or ``None`` when it is."""
    try:
        parse_email(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_email(value: str) -> str:
    """Return ``value`` as one normalised address (domain lower-cased); raise ``ValueError`` saying why not."""
    if len(value) > MAX_LENGTH:
        raise ValueError(f"must be at most {MAX_LENGTH} characters")
    if any(c in value for c in '<>,;"()') or any(c.isspace() for c in value):
        raise ValueError("must be one plain address such as name@example.com, without a display name or a list")
    try:
        parsed = validate_email(value, check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not an e-mail address: {exc}") from None
    return str(parsed.normalized)


EmailAddress = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(parse_email)]
"""A field holding one bare e-mail address."""
