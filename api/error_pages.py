"""Error answers for people in a browser: a plain HTML page instead of a problem+json document.

A signer who sends a form that is too long, whose browser posts while the mail relay is down, or who
follows a mangled link must see a page that says what happened and what to do, not a JSON body. The
API keeps answering problem+json: a request is *browser-facing* when it is for the signing pages
(``/sign/...``), or when it is for no API path and the client asks for HTML (a browser opening a
mistyped address). The status code and headers such as ``Retry-After`` stay those of the problem.

The wording is for the signer, not for a developer: no internal names, no field pointers, and for
an error on our side only the request id to quote.
"""

from __future__ import annotations

import re
import secrets

from jinja2 import Environment, select_autoescape

from domain.errors import FieldError

BROWSER_PREFIXES = ("/sign/",)
API_PREFIXES = ("/v1/", "/openapi.json", "/healthz", "/readyz", "/docs-assets/")

# What each status means to a person, and what to do next.
_TEXT: dict[int, tuple[str, str]] = {
    400: ("We could not read that", "Go back and try again."),
    403: ("This is not allowed", "Open the link from your e-mail again. If it still fails, ask the sender."),
    404: (
        "This page does not exist",
        "Check the address, or open the link from your e-mail again. If you still need to sign, ask the "
        "person who sent it to you.",
    ),
    405: ("This page cannot be opened this way", "Open the link from your e-mail again."),
    409: (
        "This step is already done or no longer possible",
        "Open the link from your e-mail again to see where it stands.",
    ),
    413: (
        "What you sent is too large",
        "Go back and try again; if you drew your signature, a simpler drawing or typing your name will do.",
    ),
    422: ("Something you entered cannot be accepted", "Go back, correct it and send again."),
    429: ("Too many attempts", "Wait a few minutes, then try again."),
    500: (
        "Something went wrong on our side",
        "Nothing you did caused this. Please try again later; if it keeps happening, tell the sender and "
        "quote the reference below.",
    ),
    503: (
        "We cannot take your answer right now",
        "A service we rely on is briefly unavailable. Nothing you sent was recorded. Please try again in a minute.",
    ),
}
# Form fields of the signing pages, as their labels read.
FIELD_LABELS = {
    "full_name": "Your full name",
    "title": "Your title",
    "attest": "The confirmation that you are authorised",
    "method": "How you sign",
    "signature": "Your drawn signature",
    "reason": "Your reason for declining",
    "code": "The code from the e-mail",
    "agree": "Your agreement",
    "version": "The disclosure",
    "index": "The page number",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{ title }}</title>
<style nonce="{{ nonce }}">
body { margin: 0; font: 16px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1b1b1b; background: #f4f5f7; }
main { max-width: 640px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.4rem; margin: 8px 0 12px; }
.card { background: #fff; border: 1px solid #d8dbe0; border-radius: 8px; padding: 16px; margin: 12px 0; }
.alert { border-left: 4px solid #8a1c1c; }
.note { color: #444; font-size: .9rem; }
</style></head>
<body><main>
<section class="card alert" role="alert" aria-labelledby="error-heading">
<h1 id="error-heading">{{ title }}</h1>
{% if reasons %}<ul id="error-reasons">{% for label, reason in reasons %}<li>{{ label }}: {{ reason }}</li>
{% endfor %}</ul>{% endif %}
<p id="error-advice">{{ advice }}</p>
</section>
{% if request_id %}<p class="note">Reference: <span id="error-reference">{{ request_id }}</span>
(error {{ status }})</p>{% endif %}
</main></body></html>
"""
_TEMPLATE = Environment(autoescape=select_autoescape(default=True, default_for_string=True)).from_string(_PAGE)


def is_browser_facing(path: str, accept: str) -> bool:
    """Tell whether an error for ``path`` should be a page: the signing pages, or HTML asked for off the API."""
    if path.startswith(BROWSER_PREFIXES):
        return True
    if path.startswith(API_PREFIXES):
        return False
    return "text/html" in accept


# The validation library's messages that reach signers, in plain words.
_PLAIN_REASONS = (
    (re.compile(r"^String should have at most (\d+) characters?$"), r"too long: use at most \1 characters"),
    (re.compile(r"^String should have at least (\d+) characters?$"), r"too short: use at least \1 characters"),
    (re.compile(r"^Input should be a valid integer.*$"), "must be a whole number"),
    (re.compile(r"^Field required$"), "missing"),
)


def _plain(reason: str) -> str:
    for pattern, plain in _PLAIN_REASONS:
        if pattern.match(reason):
            return pattern.sub(plain, reason)
    return reason


def _label(pointer: str) -> str:
    name = pointer.rsplit(":", 1)[-1].rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    return FIELD_LABELS.get(name, "A field")


def error_page(
    status: int, *, errors: list[FieldError] | None = None, request_id: str | None = None
) -> tuple[str, dict[str, str]]:
    """Return the HTML of the error page for ``status`` and the headers it must be sent with."""
    title, advice = _TEXT.get(status, _TEXT[500] if status >= 500 else _TEXT[400])
    nonce = secrets.token_urlsafe(16)
    reasons = [(_label(e.pointer), _plain(e.reason)) for e in errors or []]
    html = _TEMPLATE.render(
        title=title, advice=advice, reasons=reasons, request_id=request_id, status=status, nonce=nonce
    )
    headers = {
        # The signing link's token is in the URL: keep it out of caches and Referer headers.
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        ),
    }
    return html, headers
