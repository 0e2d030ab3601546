"""The body of ``POST /v1/invoices``: an invoice whose client is named by our id or by an external id."""

from __future__ import annotations

from pydantic import Field, model_validator

from domain.external_ids import ExternalRef
from domain.invoices import InvoiceDraft


class InvoiceCreate(InvoiceDraft):
    """An invoice to record; name the client by ``client_id`` or by ``client_external_id``, not both."""

    client_id: str | None = Field(default=None, min_length=1, max_length=36)  # type: ignore[assignment]
    client_external_id: ExternalRef | None = Field(
        default=None, description='The client by its id in another system, e.g. {"system": "xero", "id": "Acme Ltd"}'
    )

    @model_validator(mode="after")
    def _one_client(self) -> InvoiceCreate:
        if (self.client_id is None) == (self.client_external_id is None):
            raise ValueError("name the client by exactly one of client_id and client_external_id")
        return self

    def draft(self, client_id: str) -> InvoiceDraft:
        """Return the invoice draft for the resolved client."""
        fields = self.model_dump(exclude={"client_external_id", "client_id"})
        return InvoiceDraft.model_validate({**fields, "client_id": client_id})
