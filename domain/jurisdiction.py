"""Jurisdictions: an ISO 3166-1 country, optionally with an ISO 3166-2 region (``CA-BC``, ``US-NY``).

Governing law, statutory interest and notice rules depend on it, so an unknown code is refused
rather than stored as free text.
"""

from __future__ import annotations

import re
from typing import Annotated

import pycountry
from pydantic import AfterValidator

_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def parse_jurisdiction(code: str) -> str:
    """Return the canonical upper-case code, raising ``ValueError`` for unknown countries or regions."""
    candidate = code.strip().upper()
    if not _CODE.fullmatch(candidate):
        raise ValueError("must be an ISO 3166 code such as 'US', 'CA-BC' or 'GB-ENG'")
    country = candidate[:2]
    if pycountry.countries.get(alpha_2=country) is None:
        raise ValueError(f"unknown country code '{country}'")
    if len(candidate) > 2 and pycountry.subdivisions.get(code=candidate) is None:
        raise ValueError(f"unknown region '{candidate}' for country '{country}'")
    return candidate


def country_of(code: str) -> str:
    """Return the two-letter country part of a jurisdiction code."""
    return code[:2]


Jurisdiction = Annotated[str, AfterValidator(parse_jurisdiction)]
