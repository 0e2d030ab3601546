"""``/v1/invoices``: record invoices, change their state (paid, disputed, paused, promised), list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import ExternalIdServiceDep, InvoiceServiceDep, InvoiceWriterDep, ReaderDep, RuntimeDep
from api.schemas.dunning import InvoiceOut, InvoicePageOut
from api.schemas.invoice_create import InvoiceCreate
from domain.invoices import InvoicePatch, InvoiceStatus

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=InvoiceOut)
def create_invoice(
    body: InvoiceCreate,
    actor: InvoiceWriterDep,
    service: InvoiceServiceDep,
    external_ids: ExternalIdServiceDep,
    runtime: RuntimeDep,
    response: Response,
) -> InvoiceOut:
    """Record an invoice; ``amount`` is a decimal string in major units. A number already stored is a 409.

    The client is named by ``client_id`` or by its id in the PSA, QuickBooks or Xero (``client_external_id``).
    """
    ref = body.client_external_id
    client_id = external_ids.resolve(ref) if ref is not None else str(body.client_id)
    invoice = service.create(actor, body.draft(client_id))
    response.headers["Location"] = f"/v1/invoices/{invoice.id}"
    return InvoiceOut.of(invoice, runtime.clock.now().date())


@router.get("/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: str, _actor: ReaderDep, service: InvoiceServiceDep, runtime: RuntimeDep) -> InvoiceOut:
    """Return one invoice and its state today."""
    return InvoiceOut.of(service.get(invoice_id), runtime.clock.now().date())


@router.patch("/{invoice_id}", response_model=InvoiceOut)
def change_invoice(
    invoice_id: str, patch: InvoicePatch, actor: InvoiceWriterDep, service: InvoiceServiceDep, runtime: RuntimeDep
) -> InvoiceOut:
    """Mark paid, disputed (with a reason), paused or promised; ``null`` clears the field."""
    return InvoiceOut.of(service.change(actor, invoice_id, patch), runtime.clock.now().date())


@router.get("", response_model=InvoicePageOut)
def list_invoices(
    _actor: ReaderDep,
    service: InvoiceServiceDep,
    runtime: RuntimeDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    state: Annotated[InvoiceStatus | None, Query(description="open, paid, disputed, paused or promised")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=40, description="next_cursor of the previous page")] = None,
) -> InvoicePageOut:
    """List invoices by number, filtered by client and by the state they are in today."""
    page = service.search(client_id=client_id, status=state, limit=limit, after=cursor)
    today = runtime.clock.now().date()
    return InvoicePageOut(items=[InvoiceOut.of(i, today) for i in page.items], next_cursor=page.next_after)
