"""The HTML writer: an assembled document -> the HTML page WeasyPrint lays out.

Clause bodies are written from their token stream by markdown-it's HTML renderer (text is HTML-escaped;
the dialect has no raw HTML, links or images, so no URL can appear). The page around them comes from
``templates/_shared/base.html.j2``, rendered in the HTML-autoescaping sandbox with the context built by
``layout_context``. Signature boxes get ids ``sig-<role>-<n>`` (n counts per role from 1); the PDF
renderer records where each landed.
"""

from __future__ import annotations

import base64
from typing import Any

from jinja2 import Template
from markupsafe import Markup

from domain.assembly.assemble import AssembledClause, AssembledDocument
from domain.assembly.markdown import clause_parser
from domain.assembly.sandbox import format_date


def clause_html(clause: AssembledClause) -> Markup:
    """Return the HTML of a clause body (escaped by the markdown-it renderer)."""
    parser = clause_parser()
    html = parser.renderer.render(list(clause.tokens), parser.options, {})
    return Markup(html)  # noqa: S704 - markdown-it escapes all text and the dialect allows no raw HTML


def signature_box_ids(document: AssembledDocument) -> list[str]:
    """Return the element id of each signature box, in the manifest's signer order."""
    counts: dict[str, int] = {}
    ids: list[str] = []
    for signer in document.signers:
        counts[signer.role] = counts.get(signer.role, 0) + 1
        ids.append(f"sig-{signer.role}-{counts[signer.role]}")
    return ids


#: Left plus right page margin (print.css ``@page margin``): the running header spans the rest.
_SIDE_MARGINS_MM = 40


#: Printed on every page of a document whose template text counsel has not approved.
DRAFT_MARK = "DRAFT \u2013 not reviewed by counsel"


def _colour_css(document: AssembledDocument) -> Markup:
    # Colours are validated as #rrggbb by Branding, so they cannot carry CSS syntax into the sheet;
    # the paper is an enum whose values are CSS size keywords.
    b = document.branding
    width, _ = document.paper.size_mm
    # The draft mark sits in the footer of every page: centred under print.css, on the right under the
    # notices' print-letter.css (whose reference and page number fill the left).
    box = "bottom-right" if document.kind == "notice" else "bottom-center"
    draft = "" if document.reviewed else f'@page {{ @{box} {{ content: "{DRAFT_MARK}"; }} }}\n'
    css = (
        f"@page {{ size: {document.paper.value}; }}\n"
        f"{draft}"
        f".running-header {{ width: {width - _SIDE_MARGINS_MM:.1f}mm; }}\n"
        f":root {{ --primary: {b.primary_colour}; --accent: {b.accent_colour}; }}\n"
        f"h1.doc-title, .clause h2 {{ color: {b.primary_colour}; }}\n"
        f".running-header {{ border-bottom-color: {b.accent_colour}; }}\n"
    )
    return Markup(css)  # noqa: S704 - built from validated hex colours only


def layout_context(document: AssembledDocument) -> dict[str, Any]:
    """Return the variables ``base.html.j2`` is rendered with."""
    branding = document.branding
    logo_uri = None
    if branding.logo is not None:
        encoded = base64.b64encode(branding.logo).decode("ascii")
        logo_uri = f"data:{branding.logo_media_type};base64,{encoded}"
    parties = {"client": document.client.legal_name, "msp": branding.msp_name}
    signers = [
        {"label": s.label, "role": s.role, "party": parties[s.role], "box_id": box_id}
        for s, box_id in zip(document.signers, signature_box_ids(document), strict=True)
    ]
    created = document.document.timestamp.isoformat()
    return {
        "title": document.title,
        "kind": document.kind,
        "paper": document.paper.value,
        "draft_mark": None if document.reviewed else DRAFT_MARK,
        "template": {"id": document.template_id, "version": document.template_version},
        "document": document.document,
        "date_text": format_date(document.document.date),
        "created": created,
        "branding": branding,
        "client": document.client,
        "logo_uri": logo_uri,
        "colour_css": _colour_css(document),
        "clauses": [
            {"id": c.id, "number": c.number, "title": c.title, "html": clause_html(c)} for c in document.clauses
        ],
        "signers": signers,
        "sender": notice_sender(document),
    }


def notice_sender(document: AssembledDocument) -> dict[str, str] | None:
    """Return who signs off a notice (its ``contact`` variable: name, title, e-mail, phone), else ``None``.

    With a facsimile signature in the branding, ``signature_uri`` holds it as a ``data:`` URI; without
    one it is empty and the notice prints the name and title only (never an empty box).
    """
    contact = document.variables.get("contact")
    if document.kind != "notice" or not isinstance(contact, dict) or not contact.get("name"):
        return None
    reach = [str(contact[key]) for key in ("email", "phone") if contact.get(key)]
    signature = document.branding.sender_signature
    return {
        "name": str(contact["name"]),
        "title": str(contact.get("title", "")),
        "contact_line": " · ".join(reach),
        "signature_uri": "data:image/png;base64," + base64.b64encode(signature).decode("ascii") if signature else "",
    }


def render_html(document: AssembledDocument, layout: Template) -> str:
    """Return the full HTML page for ``document`` using the compiled layout template."""
    return layout.render(layout_context(document))
