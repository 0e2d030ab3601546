"""The kinds of document undersign assembles; each kind has its own write permission and retention."""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    """What a template produces: a contract, a schedule to one, a risk-acceptance letter, or a notice."""

    CONTRACT = "contract"
    SCHEDULE = "schedule"
    WAIVER = "waiver"
    NOTICE = "notice"
