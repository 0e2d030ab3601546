"""Object-store coordinates: where a write landed, and the retention it was given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoredBlob:
    """Where an object-store write landed: enough to fetch exactly these bytes again."""

    bucket: str
    key: str
    version_id: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Retention:
    """Object Lock settings for one write: mode (``COMPLIANCE`` or ``GOVERNANCE``), until when, legal hold."""

    mode: str
    retain_until: datetime
    legal_hold: bool = False
