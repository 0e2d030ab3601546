"""Reading invoice and payment CSVs: undersign's own columns, QuickBooks Online and Xero exports.

Each reader turns a file into rows the invoice service understands (number, client, amount,
currency, issue and due dates as ISO strings) and a list of ``(line, reason)`` for rows it could
not read, so a bad row is reported by its line in the file and the others still go in.

- undersign: a header ``number, client_id, amount, currency, issued_on, due_on``; instead of
  ``client_id`` a row may name its client by ``client_system`` (psa, quickbooks, xero) and
  ``client_external_id``.
- QuickBooks Online: the A/R Aging Detail or Invoice List report exported to CSV (title lines
  above the header, group and total lines between rows are skipped). Columns ``Date``,
  ``Transaction Type`` (only ``Invoice`` rows count), ``Num``, ``Customer``, ``Due Date``,
  ``Amount``; ``Open Balance`` when present tells payments. Dates are month/day/year; a report
  carries no currency, so the caller names it. The customer is matched by its QuickBooks id
  (the customer's display name).
- Xero: the sales invoice export, one row per line item, columns ``ContactName``,
  ``InvoiceNumber``, ``InvoiceDate``, ``DueDate``, ``Total``, ``Currency`` and, when present,
  ``Type``, ``Status``, ``InvoiceAmountDue``. Dates are day/month/year. The contact is matched
  by its Xero id (the contact name).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from domain.external_ids import ExternalRef, ExternalSystem


class ExportFormat(StrEnum):
    """Which program wrote the CSV."""

    UNDERSIGN = "undersign"
    QUICKBOOKS = "quickbooks"
    XERO = "xero"


class DateOrder(StrEnum):
    """How slashed dates are read; ISO dates (2026-10-31) are always accepted."""

    MDY = "mdy"
    DMY = "dmy"


DEFAULT_DATE_ORDER = {ExportFormat.QUICKBOOKS: DateOrder.MDY, ExportFormat.XERO: DateOrder.DMY}
OWN_COLUMNS = ("number", "amount", "currency", "issued_on", "due_on")
QUICKBOOKS_COLUMNS = ("date", "num", "customer", "due date", "amount")
XERO_COLUMNS = ("contactname", "invoicenumber", "invoicedate", "duedate", "total")
# Xero document types and statuses that are not money the client owes.
_XERO_SKIPPED_TYPES = {"accpay", "bill", "purchase bill", "credit note", "accreccredit", "accpaycredit"}
_XERO_SKIPPED_STATUSES = {"draft", "deleted", "voided", "submitted"}


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice read from a file: fields for ``InvoiceDraft`` and the client as the file names it."""

    line: int
    fields: dict[str, str]
    client_id: str | None = None
    client_ref: ExternalRef | None = None
    # Whether the export says nothing is owed any more (QuickBooks open balance 0, Xero amount due 0).
    settled: bool = False


@dataclass
class ParsedExport:
    """The readable rows of a file and the reason for each unreadable one."""

    rows: list[InvoiceRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


class _RowError(ValueError):
    pass


def parse_date(text: str, order: DateOrder) -> str:
    """Return ``text`` as an ISO date, reading ``10/31/2026`` by ``order``; raise ``ValueError`` if it is none."""
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value).isoformat()
    pattern = "%m/%d/%Y" if order is DateOrder.MDY else "%d/%m/%Y"
    try:
        return datetime.strptime(value, pattern).date().isoformat()
    except ValueError:
        shape = "MM/DD/YYYY" if order is DateOrder.MDY else "DD/MM/YYYY"
        raise _RowError(f"'{value}' is not a date (expected {shape} or YYYY-MM-DD)") from None


def parse_money(text: str) -> str:
    """Return an exported amount (``$1,250.00``) as a plain decimal string; refuse negatives."""
    value = text.strip().replace(",", "").replace("$", "").replace("\u00a0", "").replace(" ", "")
    if value.startswith("(") or value.startswith("-"):
        raise _RowError(f"the amount '{text.strip()}' is negative (a credit, not an invoice)")
    try:
        Decimal(value)
    except InvalidOperation:
        raise _RowError(f"'{text.strip()}' is not an amount") from None
    return value


def _is_zero(text: str) -> bool:
    try:
        return Decimal(parse_money(text)) == 0
    except _RowError:
        return False


def parse_invoices(
    text: str, fmt: ExportFormat, *, currency: str | None = None, date_order: DateOrder | None = None
) -> ParsedExport:
    """Read the invoices of a CSV written by ``fmt``."""
    order = date_order or DEFAULT_DATE_ORDER.get(fmt, DateOrder.MDY)
    if fmt is ExportFormat.UNDERSIGN:
        return _own(text)
    if fmt is ExportFormat.QUICKBOOKS:
        return _quickbooks(text, currency, order)
    return _xero(text, currency, order)


def _records(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(text.splitlines(keepends=True))
    out: list[tuple[int, list[str]]] = []
    for cells in reader:
        out.append((reader.line_num, cells))
    return out


def _own(text: str) -> ParsedExport:
    parsed = ParsedExport()
    reader = csv.DictReader(text.splitlines(keepends=True))
    names = reader.fieldnames or []
    has_id = "client_id" in names
    has_ref = "client_system" in names and "client_external_id" in names
    missing = [c for c in OWN_COLUMNS if c not in names]
    if not has_id and not has_ref:
        missing.insert(1, "client_id")
    if missing:
        parsed.errors.append((1, f"the header lacks the column(s): {', '.join(missing)}"))
        return parsed
    known = {*OWN_COLUMNS, "client_id", "client_system", "client_external_id"}
    for row in reader:
        line = reader.line_num
        if any(k not in known for k in row) or None in row.values():
            parsed.errors.append((line, "the row has more fields than the header"))
            continue
        fields = {k: (row[k] or "").strip() for k in OWN_COLUMNS}
        client_id = (row.get("client_id") or "").strip()
        system = (row.get("client_system") or "").strip().lower()
        if client_id or not has_ref:
            parsed.rows.append(InvoiceRow(line=line, fields=fields, client_id=client_id))
            continue
        try:
            ref = ExternalRef(system=ExternalSystem(system), id=(row.get("client_external_id") or "").strip())
        except ValueError:
            parsed.errors.append(
                (line, f"client_system '{system}' is not psa, quickbooks or xero, or client_external_id is empty")
            )
            continue
        parsed.rows.append(InvoiceRow(line=line, fields=fields, client_ref=ref))
    return parsed


def _header_index(records: list[tuple[int, list[str]]], required: tuple[str, ...]) -> tuple[int, dict[str, int]] | None:
    for position, (_line, cells) in enumerate(records):
        names = {cell.strip().lstrip("*").strip().lower(): i for i, cell in enumerate(cells)}
        if all(name in names for name in required):
            return position, names
    return None


def _currency(row_value: str, given: str | None) -> str:
    value = row_value.strip().upper() or (given or "").upper()
    if not value:
        raise _RowError("the file names no currency: pass the currency of the export (e.g. --currency CAD)")
    return value


def _quickbooks(text: str, currency: str | None, order: DateOrder) -> ParsedExport:
    parsed = ParsedExport()
    records = _records(text)
    found = _header_index(records, QUICKBOOKS_COLUMNS) or _header_index(
        records, ("date", "no.", "customer", "due date", "amount")
    )
    if found is None:
        parsed.errors.append(
            (1, "no header with the QuickBooks columns Date, Num, Customer, Due Date and Amount was found")
        )
        return parsed
    position, names = found
    number_col = names.get("num", names.get("no."))
    assert number_col is not None
    for line, cells in records[position + 1 :]:

        def cell(name: str, cells: list[str] = cells) -> str:
            index = names.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        number = cells[number_col].strip() if number_col < len(cells) else ""
        first = cells[0].strip().lower() if cells else ""
        if not number or first.startswith("total") or not cell("customer"):
            continue  # a group heading, a total line or a blank line of the report
        kind = cell("transaction type").lower()
        if kind and kind != "invoice":
            continue  # payments, credit memos and journal entries are not invoices
        try:
            fields = {
                "number": number,
                "amount": parse_money(cell("amount")),
                "currency": _currency(cell("currency"), currency),
                "issued_on": parse_date(cell("date"), order),
                "due_on": parse_date(cell("due date"), order),
            }
        except _RowError as exc:
            parsed.errors.append((line, str(exc)))
            continue
        ref = ExternalRef(system=ExternalSystem.QUICKBOOKS, id=cell("customer"))
        settled = "open balance" in names and _is_zero(cell("open balance"))
        parsed.rows.append(InvoiceRow(line=line, fields=fields, client_ref=ref, settled=settled))
    return parsed


def _xero(text: str, currency: str | None, order: DateOrder) -> ParsedExport:
    parsed = ParsedExport()
    records = _records(text)
    found = _header_index(records[:1], XERO_COLUMNS)
    if found is None:
        parsed.errors.append(
            (1, "the header lacks the Xero columns ContactName, InvoiceNumber, InvoiceDate, DueDate and Total")
        )
        return parsed
    _position, names = found
    seen: dict[str, InvoiceRow] = {}
    for line, cells in records[1:]:

        def cell(name: str, cells: list[str] = cells) -> str:
            index = names.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        if not any(c.strip() for c in cells):
            continue
        if cell("type").lower() in _XERO_SKIPPED_TYPES or cell("status").lower() in _XERO_SKIPPED_STATUSES:
            continue
        number = cell("invoicenumber")
        try:
            if not number:
                raise _RowError("InvoiceNumber is empty")
            fields = {
                "number": number,
                "amount": parse_money(cell("total")),
                "currency": _currency(cell("currency"), currency),
                "issued_on": parse_date(cell("invoicedate"), order),
                "due_on": parse_date(cell("duedate"), order),
            }
            contact = cell("contactname")
            if not contact:
                raise _RowError("ContactName is empty")
        except _RowError as exc:
            parsed.errors.append((line, str(exc)))
            continue
        ref = ExternalRef(system=ExternalSystem.XERO, id=contact)
        # Xero writes one row per line item; the invoice's own fields repeat on each of them.
        earlier = seen.get(number)
        if earlier is not None:
            if earlier.fields != fields or earlier.client_ref != ref:
                parsed.errors.append(
                    (line, f"invoice {number} appears again with another contact, total, currency or date")
                )
            continue
        settled = ("invoiceamountdue" in names and _is_zero(cell("invoiceamountdue"))) or cell(
            "status"
        ).lower() == "paid"
        row = InvoiceRow(line=line, fields=fields, client_ref=ref, settled=settled)
        seen[number] = row
        parsed.rows.append(row)
    return parsed


@dataclass(frozen=True)
class PaymentRow:
    """One payment read from a file: the invoice number and the day it was paid."""

    line: int
    number: str
    paid_on: str


@dataclass
class ParsedPayments:
    """The readable payments of a file and the reason for each unreadable row."""

    rows: list[PaymentRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_payments(
    text: str, fmt: ExportFormat, *, as_of: date, currency: str | None = None, date_order: DateOrder | None = None
) -> ParsedPayments:
    """Read the payments of a CSV written by ``fmt``.

    undersign's own payments file has the columns ``number, paid_on``. A QuickBooks or Xero
    invoice export tells which invoices nothing is owed on any more (open balance or amount due
    0, or Xero status Paid) but not the day they were paid, so those count as paid on ``as_of``,
    the day the export was taken.
    """
    parsed = ParsedPayments()
    if fmt is ExportFormat.UNDERSIGN:
        reader = csv.DictReader(text.splitlines(keepends=True))
        missing = [c for c in ("number", "paid_on") if c not in (reader.fieldnames or [])]
        if missing:
            parsed.errors.append((1, f"the header lacks the column(s): {', '.join(missing)}"))
            return parsed
        for row in reader:
            try:
                paid_on = parse_date(row.get("paid_on") or "", date_order or DateOrder.MDY)
            except _RowError as exc:
                parsed.errors.append((reader.line_num, str(exc)))
                continue
            parsed.rows.append(
                PaymentRow(line=reader.line_num, number=(row.get("number") or "").strip(), paid_on=paid_on)
            )
        return parsed
    invoices = parse_invoices(text, fmt, currency=currency or "XXX", date_order=date_order)
    parsed.errors.extend(invoices.errors)
    for invoice in invoices.rows:
        if invoice.settled:
            parsed.rows.append(
                PaymentRow(line=invoice.line, number=invoice.fields["number"], paid_on=as_of.isoformat())
            )
    return parsed
