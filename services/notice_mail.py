"""The e-mail that carries a payment notice: a short letter in text and HTML, with the notice attached.

A client reads the e-mail before the PDF, so it says on its own who writes, how much is due by when,
how to pay and whom to ask, in the same words and date style as the notice (amounts with their
currency symbol, long dates). The attachment is named by the notice's title and date, not by an
internal step key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from html import escape
from typing import Any

from domain.assembly.sandbox import format_date, money
from domain.ports import Attachment, OutgoingMail


def attachment_name(title: str, invoice_number: str, issued_on: date) -> str:
    """Return a file name such as ``Final Notice - INV-1041 - 18 March 2026.pdf`` (safe on every system)."""
    name = f"{title} - {invoice_number} - {format_date(issued_on)}"
    return re.sub(r"[^A-Za-z0-9 ._-]+", "-", name).strip(" .-")[:150] + ".pdf"


def _paragraphs(
    *,
    title: str,
    invoice_number: str,
    client_name: str,
    msp_name: str,
    variables: Mapping[str, Any],
    asks_payment: bool,
) -> tuple[list[str], list[str]]:
    """Return the body paragraphs and the sign-off lines, as plain text."""
    currency = variables.get("currency")
    body = [f"Dear {client_name},", f"Please find attached our {title.lower()} about invoice {invoice_number}."]
    if "total_due" in variables:
        due = f"The amount due is {money(variables['total_due'], currency)}"
        if asks_payment and variables.get("pay_by"):
            due += f"; please pay it by {format_date(variables['pay_by'])}"
        body.append(due + ".")
    payment = variables.get("payment") or {}
    ways = []
    if payment.get("portal_url"):
        ways.append(f"online at {payment['portal_url']}")
    if payment.get("bank_details"):
        ways.append(f"by bank transfer to {payment['bank_details']}")
    if ways and asks_payment:
        reference = f", quoting the reference {payment['reference']}" if payment.get("reference") else ""
        body.append(f"You can pay {' or '.join(ways)}{reference}.")
    contact = variables.get("contact") or {}
    reach = [str(contact[key]) for key in ("email", "phone") if contact.get(key)]
    if reach:
        body.append(f"If you have a question or think an amount is wrong, please contact us at {' or '.join(reach)}.")
    sign_off = ["Kind regards,", str(contact.get("name") or msp_name)]
    if contact.get("title"):
        sign_off.append(str(contact["title"]))
    sign_off.append(msp_name)
    return body, sign_off


def notice_mail(
    *,
    to: str,
    title: str,
    invoice_number: str,
    issued_on: date,
    client_name: str,
    msp_name: str,
    variables: Mapping[str, Any],
    asks_payment: bool,
    pdf: bytes,
    message_id: str,
) -> OutgoingMail:
    """Return the multipart (text and HTML) e-mail of a notice, with the notice PDF attached."""
    body, sign_off = _paragraphs(
        title=title,
        invoice_number=invoice_number,
        client_name=client_name,
        msp_name=msp_name,
        variables=variables,
        asks_payment=asks_payment,
    )
    text = "\n\n".join([*body, "\n".join(sign_off)]) + "\n"
    html = (
        "<!doctype html><html lang='en'><body style='font-family: sans-serif; font-size: 14px; color: #222'>"
        + "".join(f"<p>{escape(p)}</p>" for p in body)
        + "<p>"
        + "<br>".join(escape(line) for line in sign_off)
        + "</p></body></html>"
    )
    return OutgoingMail(
        to=(to,),
        subject=f"{title}: invoice {invoice_number} - {msp_name}",
        text=text,
        html=html,
        attachments=(Attachment(attachment_name(title, invoice_number, issued_on), pdf),),
        message_id=message_id,
    )
