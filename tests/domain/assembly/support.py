"""Helpers for the assembly tests: paths, an in-memory template builder and output readers."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docx
import pypdf

from domain.assembly import TemplateManifest
from domain.assembly.manifest import parse_clause, parse_manifest

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO / "templates" / "_shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "library"


def make_manifest(
    clauses: Mapping[str, str],
    *,
    properties: Mapping[str, Any] | None = None,
    slots: list[dict[str, Any]] | None = None,
    required: list[str] | None = None,
) -> TemplateManifest:
    """Build a small in-memory template: clause id -> body, all clauses in one slot each by default."""
    sources = {
        cid: parse_clause(
            f"---\nid: {cid}\nversion: 1.0.0\ntitle: Clause {cid}\n---\n{body}".encode(),
            expected_id=cid,
            path=f"{cid}.md",
        )
        for cid, body in clauses.items()
    }
    raw = {
        "id": "test/inline",
        "version": "1.0.0",
        "title": "Inline Test Template",
        "kind": "notice",
        "description": "Built by a test.",
        "variables": {
            "type": "object",
            "additionalProperties": False,
            "required": required or [],
            "properties": dict(properties or {"text": {"type": "string", "maxLength": 5000}}),
        },
        "signers": [{"role": "client", "label": "For the Client"}],
        "slots": slots if slots is not None else [{"clause": cid} for cid in clauses],
    }
    return parse_manifest(raw, expected_id="test/inline", clauses=sources, data={})


def pdf_text(data: bytes) -> str:
    """Return the PDF's text with whitespace runs folded to single spaces (pypdf extraction)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def docx_text(data: bytes) -> str:
    """Return all paragraph and table-cell text of a .docx, one paragraph per line."""
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def qpdf_check(data: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``qpdf --check`` on the bytes and return the completed process."""
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
