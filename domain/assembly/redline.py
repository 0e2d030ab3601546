"""Clause-level redline between two assembled versions of a document.

Clauses are matched by their stable id: a clause only in the new version is *added*, only in the old one
*removed*, and in both with different text or title *changed*; changed clauses carry a word-level diff
(runs of ``equal``/``delete``/``insert`` text). ``Redline.as_dict()`` is JSON-able for the API and
``Redline.html()`` is an escaped HTML fragment (``<ins>``/``<del>``) for review screens and emails.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from domain.assembly.assemble import AssembledClause, AssembledDocument

_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class WordChange:
    """A run of text that is the same in both versions, only in the old one, or only in the new one."""

    op: str  # "equal" | "delete" | "insert"
    text: str


@dataclass(frozen=True)
class ClauseChange:
    """One clause that was added, removed or changed, with its numbers and versions on each side."""

    kind: str  # "added" | "removed" | "changed"
    id: str
    title: str
    old_number: int | None
    new_number: int | None
    old_version: str | None
    new_version: str | None
    words: tuple[WordChange, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the change as JSON-able data."""
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "old_number": self.old_number,
            "new_number": self.new_number,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "words": [{"op": w.op, "text": w.text} for w in self.words],
        }


@dataclass(frozen=True)
class Redline:
    """The differences between two versions, in the new version's clause order (removed ones last)."""

    old: dict[str, Any]
    new: dict[str, Any]
    changes: tuple[ClauseChange, ...]

    @property
    def added(self) -> list[ClauseChange]:
        """Return the clauses only in the new version."""
        return [c for c in self.changes if c.kind == "added"]

    @property
    def removed(self) -> list[ClauseChange]:
        """Return the clauses only in the old version."""
        return [c for c in self.changes if c.kind == "removed"]

    @property
    def changed(self) -> list[ClauseChange]:
        """Return the clauses present in both versions whose text or title differs."""
        return [c for c in self.changes if c.kind == "changed"]

    def as_dict(self) -> dict[str, Any]:
        """Return the redline as JSON-able data."""
        return {
            "old": self.old,
            "new": self.new,
            "added": [c.as_dict() for c in self.added],
            "removed": [c.as_dict() for c in self.removed],
            "changed": [c.as_dict() for c in self.changed],
        }

    def html(self) -> Markup:
        """Return an HTML fragment showing each change; all text is HTML-escaped."""
        parts: list[str] = ['<div class="redline">']
        for change in self.changes:
            number = change.new_number if change.new_number is not None else change.old_number
            parts.append(
                f'<section class="redline-{change.kind}" data-clause="{escape(change.id)}">'
                f"<h3>{escape(change.kind.capitalize())}: {number}. {escape(change.title)}</h3><p>"
            )
            for word in change.words:
                text = str(escape(word.text)).replace("\n", "<br>")
                tag = {"insert": "ins", "delete": "del"}.get(word.op)
                parts.append(f"<{tag}>{text}</{tag}>" if tag else text)
            parts.append("</p></section>")
        parts.append("</div>")
        return Markup("".join(parts))  # noqa: S704 - every piece of text above went through escape()


def word_diff(old: str, new: str) -> tuple[WordChange, ...]:
    """Return the word-level difference between two texts as merged equal/delete/insert runs."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    runs: list[WordChange] = []

    def add(op: str, words: list[str]) -> None:
        if not words:
            return
        text = "".join(words)
        if runs and runs[-1].op == op:
            runs[-1] = WordChange(op, runs[-1].text + text)
        else:
            runs.append(WordChange(op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return tuple(runs)


def _whole(kind: str, clause: AssembledClause) -> ClauseChange:
    old, new = (clause, None) if kind == "removed" else (None, clause)
    return ClauseChange(
        kind=kind,
        id=clause.id,
        title=clause.title,
        old_number=old.number if old else None,
        new_number=new.number if new else None,
        old_version=old.version if old else None,
        new_version=new.version if new else None,
        words=(WordChange("delete" if kind == "removed" else "insert", clause.text),),
    )


def _describe(document: AssembledDocument) -> dict[str, Any]:
    return {
        "template": {"id": document.template_id, "version": document.template_version},
        "document": {"id": document.document.id, "version": document.document.version},
    }


def redline(old: AssembledDocument, new: AssembledDocument) -> Redline:
    """Compare two assembled versions clause by clause (matched by clause id)."""
    before = {c.id: c for c in old.clauses}
    after_ids = {c.id for c in new.clauses}
    changes: list[ClauseChange] = []
    for clause in new.clauses:
        previous = before.get(clause.id)
        if previous is None:
            changes.append(_whole("added", clause))
        elif previous.text != clause.text or previous.title != clause.title:
            title = clause.title if previous.title == clause.title else f"{previous.title} → {clause.title}"
            changes.append(
                ClauseChange(
                    kind="changed",
                    id=clause.id,
                    title=title,
                    old_number=previous.number,
                    new_number=clause.number,
                    old_version=previous.version,
                    new_version=clause.version,
                    words=word_diff(previous.text, clause.text),
                )
            )
    changes.extend(_whole("removed", c) for c in old.clauses if c.id not in after_ids)
    return Redline(old=_describe(old), new=_describe(new), changes=tuple(changes))
