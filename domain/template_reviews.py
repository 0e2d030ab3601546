"""Counsel's review of a template: which exact template text was reviewed, by whom and when.

A review is bound to the template's content digest (:func:`template_digest`): the SHA-256 of its
manifest (variables, signers, slots, data, version) and of every clause's text. Documents made from
a template whose current digest has a review are printed without the draft mark; change one word of
a clause, or the schema, and the digest changes, so the template is a draft again until counsel
reviews the new text. The review record is never edited: a new text gets a new record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.assembly.manifest import TemplateManifest


@dataclass(frozen=True)
class TemplateReview:
    """One review of one exact template text."""

    id: str
    template_id: str
    template_version: str
    content_sha256: str
    reviewed_by: str
    reviewed_at: datetime
    note: str | None = None


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-able plain data (mappings, sequences and dataclasses unfolded)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def template_digest(manifest: TemplateManifest) -> str:
    """Return the SHA-256 of everything that decides what a template prints (its review is bound to it)."""
    content = {
        "id": manifest.id,
        "version": manifest.version,
        "title": manifest.title,
        "kind": str(manifest.kind),
        "description": manifest.description,
        "schema": _plain(manifest.schema),
        "signers": _plain(manifest.signers),
        "slots": _plain(manifest.slots),
        "data": _plain(manifest.data),
        # The clause files' own hashes cover their exact bytes (front matter and text).
        "clauses": {clause_id: source.sha256 for clause_id, source in sorted(manifest.clauses.items())},
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
