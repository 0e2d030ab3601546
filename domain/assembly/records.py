"""What a document version records of its assembly: each clause as it was printed, each signature box.

These are the typed records a version keeps (and the database stores as JSON): they cross from the
render worker to the service, into storage, out through the API and into sealing, always as these
types; ``as_dict``/``from_dict`` are the only place their JSON shape is written down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClauseRecord:
    """One clause of a version: which clause file (id, version, SHA-256), its number, title and text."""

    id: str
    version: str
    sha256: str
    number: int
    title: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        """Return the clause as JSON-able data."""
        return {
            "id": self.id,
            "version": self.version,
            "sha256": self.sha256,
            "number": self.number,
            "title": self.title,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClauseRecord:
        """Read a clause back from what ``as_dict`` wrote."""
        return cls(
            id=str(data["id"]),
            version=str(data["version"]),
            sha256=str(data["sha256"]),
            number=int(data["number"]),
            title=str(data["title"]),
            text=str(data.get("text", "")),
        )


@dataclass(frozen=True)
class SignatureBoxRecord:
    """Where a signature block's box landed: 0-based page index and rectangle in PDF points.

    ``(x1, y1)`` is the bottom-left and ``(x2, y2)`` the top-right corner, origin at the page's
    bottom-left (PDF user space).
    """

    id: str
    role: str
    page_index: int
    x1: float
    y1: float
    x2: float
    y2: float

    def as_dict(self) -> dict[str, Any]:
        """Return the box as JSON-able data."""
        return {
            "id": self.id,
            "role": self.role,
            "page_index": self.page_index,
            "box": [self.x1, self.y1, self.x2, self.y2],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignatureBoxRecord:
        """Read a box back from what ``as_dict`` wrote."""
        x1, y1, x2, y2 = (float(v) for v in data["box"])
        return cls(
            id=str(data["id"]),
            role=str(data["role"]),
            page_index=int(data["page_index"]),
            x1=x1,
            y1=y1,
            x2=x2,
            y2=y2,
        )
