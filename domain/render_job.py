"""A render job and its result: what crosses into the (possibly separate) rendering process.

Rendering is the slow, memory-hungry part of making a document; it runs in warm worker processes
with a time budget, so the job and its result are plain picklable data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.assembly.context import AssemblyContext
from domain.assembly.records import ClauseRecord, SignatureBoxRecord
from domain.documents import FileFormat


@dataclass(frozen=True)
class RenderJob:
    """Render ``template_id`` with ``variables`` in ``context`` to ``formats`` within the budgets."""

    template_id: str
    variables: dict[str, Any]
    context: AssemblyContext
    formats: tuple[FileFormat, ...]
    max_pages: int = 60
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class RenderResult:
    """The rendered files and the evidence of what went into them."""

    template_version: str
    clauses: tuple[ClauseRecord, ...]
    files: dict[FileFormat, bytes]
    page_count: int
    signature_boxes: tuple[SignatureBoxRecord, ...]
    library_versions: dict[str, str] = field(default_factory=dict)
