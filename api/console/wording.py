"""Plain words for the records the console shows: envelope events, statuses, form problems.

Staff who have never seen the API read these pages, so internal event codes (``signer.viewed``)
and pydantic locations (``primary_contact.email``) are turned into short sentences here, once.
"""

from __future__ import annotations

from pydantic import ValidationError

from domain.errors import UndersignError

EVENT_WORDS = {
    "envelope.created": "Envelope created",
    "envelope.sent": "Sent for signature",
    "envelope.reminded": "Reminder sent",
    "envelope.completed": "Everyone signed; sealed copy filed",
    "envelope.copy_mailed": "Signed copy e-mailed to the signers",
    "envelope.copy_not_mailed": "Signed copy could not be e-mailed",
    "envelope.seal_deferred": "Sealing postponed; it will be retried",
    "envelope.expired": "Expired before everyone signed",
    "envelope.voided": "Cancelled (voided)",
    "envelope.refusal_filed": "Refusal to sign filed",
    "envelope.declined": "Declined by a signer",
    "envelope.notice_mailed": "Notice of the outcome e-mailed",
    "envelope.notice_not_mailed": "Notice of the outcome could not be e-mailed",
    "document.sealed": "Signed copy sealed",
    "document.archive_timestamped": "Archive timestamp added to the signed copy",
    "signer.invited": "Invitation e-mailed",
    "signer.reminded": "Reminder e-mailed",
    "signer.embedded_link_issued": "Signing link issued for the portal",
    "signer.view_delivered": "Document shown to the signer",
    "signer.delivered": "Invitation delivered",
    "signer.opened": "Opened the signing link",
    "signer.consented": "Agreed to sign electronically",
    "signer.viewed": "Viewed the document",
    "signer.page_viewed": "Viewed a page",
    "signer.code_sent": "One-time code sent",
    "signer.code_verified": "One-time code confirmed",
    "signer.code_failed": "Wrong one-time code entered",
    "signer.signed": "Signed",
    "signer.declined": "Declined to sign",
}

STATUS_WORDS = {
    "sent": "Waiting for signatures",
    "completing": "Signed; sealing the copy",
    "completed": "Completed",
    "declined": "Declined",
    "voided": "Cancelled",
    "expired": "Expired",
    "draft": "Draft, not sent",
    "viewed": "Letter viewed by the client, not signed yet",
    "accepted": "Accepted by the client",
    "refused-to-sign": "Client refused to sign",
    "review-due": "Review due",
    "renewed": "Renewed",
    "revoked": "Revoked",
    "remediated": "Fixed (control in place)",
}


def event_words(action: str) -> str:
    """Return what an envelope event means in a few words (unknown codes are shown humanised)."""
    return EVENT_WORDS.get(action, action.replace(".", ": ").replace("_", " "))


def status_words(status: str) -> str:
    """Return a status in plain words."""
    return STATUS_WORDS.get(status, status.replace("_", " ").replace("-", " "))


def validation_problems(exc: ValidationError) -> dict[str, str]:
    """Return a form's problems by field name (dotted, as the form names them) from a pydantic error."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.setdefault(name, message[:1].upper() + message[1:])
    return problems


def error_problems(exc: UndersignError) -> dict[str, str]:
    """Return a refused write's problems by dotted field name (``/term/initial_months`` -> ``term.initial_months``)."""
    problems: dict[str, str] = {}
    for item in exc.errors:
        name = item.pointer.strip("/").replace("/", ".").removeprefix("variables.")
        problems.setdefault(name, item.reason[:1].upper() + item.reason[1:])
    return problems


def who_words(label: str) -> str:
    """Return an actor's stored label (``user:bea@msp.example(billing)``) as a name a person reads.

    Users are shown by their e-mail address, API keys as "API key <name>", and scheduled runs and
    commands on the server as undersign's own.
    """
    kind, _, rest = label.partition(":")
    name = rest.split("(", 1)[0] if rest else label
    if kind == "key":
        return f"API key {name}"
    if kind == "system":
        return "undersign (run on the server)"
    return name
