"""Paper size by place: US Letter in the United States and Canada, A4 everywhere else.

Clients in North America file and print on Letter; a contract that arrives on A4 prints with clipped
margins there (and the reverse elsewhere). The client's jurisdiction decides, unless the MSP sets one
size for every document (a setting) or a request asks for one document on another size.
"""

from __future__ import annotations

from enum import StrEnum


class Paper(StrEnum):
    """A page size the layouts know: its CSS ``@page size`` keyword is its value."""

    A4 = "a4"
    LETTER = "letter"

    @property
    def size_mm(self) -> tuple[float, float]:
        """Return (width, height) in millimetres."""
        return (215.9, 279.4) if self is Paper.LETTER else (210.0, 297.0)

    @property
    def label(self) -> str:
        """Return the name people use for the size."""
        return "US Letter" if self is Paper.LETTER else "A4"


#: Countries whose offices use US Letter (ISO 3166-1 alpha-2). Mexico, the Philippines and parts of
#: Latin America mostly use Letter too; they are listed so that their clients are not surprised either.
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "PR", "CL", "CO", "VE", "GT", "DO", "CR", "SV", "PA"})


def paper_for(jurisdiction: str, override: Paper | None = None) -> Paper:
    """Return ``override`` when given, else the paper of the client's jurisdiction (``US-TX`` -> Letter)."""
    if override is not None:
        return override
    return Paper.LETTER if jurisdiction[:2].upper() in LETTER_COUNTRIES else Paper.A4
