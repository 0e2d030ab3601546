"""The evidence summary's details column says in plain words which pages a signer was shown before deciding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.audit.event import Actor, AuditEventDraft, chain_next
from domain.evidence_summary import summary_context

AT = datetime(2026, 12, 3, 10, tzinfo=UTC)


def details(action: str, payload: dict[str, Any]) -> str:
    """Return the details the summary shows for one event of ``action`` with ``payload``."""
    draft = AuditEventDraft(
        actor=Actor(kind="signer", id="dana@northwind.example", role=None),
        action=action,
        subjects={"envelope": "env_1"},
        ip=None,
        user_agent=None,
        payload_sha256=None,
        document_sha256=None,
    )
    event = chain_next(None, draft, 1, AT)
    context = summary_context(
        subject_label="Envelope env_1",
        outcome="signed",
        events=[(event, payload)],
        documents=[],
        fingerprint="ab" * 32,
        tree_size=1,
        exported_at=AT,
    )
    return str(context["events"][0]["details"])


def test_a_signature_and_a_refusal_say_what_was_shown_before_them() -> None:
    """``seen`` of a signature or refusal is shown; a first view names its page, not the page count as if all."""
    signed = details("signer.signed", {"name": "Dana Lee", "title": "Owner", "method": "typed", "seen": "all 9 pages"})
    declined = details("signer.declined", {"reason": "Too costly", "seen": "pages 1-2 of 9"})
    viewed = details("signer.viewed", {"view": "page_image", "page": 1, "pages": 9})
    assert "shown before signing: all 9 pages" in signed
    assert "reason given: Too costly" in declined and "shown before declining: pages 1-2 of 9" in declined
    assert viewed == "first page shown: page 1 of 9"


def test_every_event_the_console_names_has_plain_words_in_the_summary() -> None:
    """No event the service records reaches the client's summary as an internal code (``envelope: notice ...``)."""
    from api.console.wording import EVENT_WORDS
    from domain.evidence_summary import PLAIN_ACTIONS

    assert sorted(set(EVENT_WORDS) - set(PLAIN_ACTIONS)) == []
