"""QuickBooks Online and Xero A/R exports import with clients matched by external id; payments mark invoices paid."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.clock import SystemClock
from cli.context import cli_actor, database_session
from cli.main import app
from domain.clients import ClientDraft
from domain.external_ids import ExternalIds
from domain.invoices import InvoiceRecord
from services.clients import ClientService
from services.external_ids import ExternalIdService
from storage.audit_trail import SqlAuditTrail
from storage.client_repository import SqlClientRepository
from storage.external_id_repository import SqlExternalIdRepository
from storage.invoice_repository import SqlInvoiceRepository
from tests.api.test_clients import client_body
from undersign.settings import Settings

runner = CliRunner()

QUICKBOOKS_REPORT = """\
A/R Aging Detail
Northwind MSP Inc.
"As of December 1, 2026"

,Date,Transaction Type,Num,Customer,Due Date,Past Due,Amount,Open Balance
Current,,,,,,,,
,10/15/2026,Invoice,1001,Northwind Dental,11/14/2026,17,"1,250.00","1,250.00"
,10/20/2026,Payment,,Northwind Dental,,,-200.00,-200.00
Total for Current,,,,,,,"1,050.00","1,050.00"
1 - 30 days past due,,,,,,,,
,09/15/2026,Invoice,1002,HARBOUR VET,10/15/2026,47,$99.95,0.00
,09/16/2026,Invoice,1003,Unknown Co,10/16/2026,46,10.00,10.00
,13/16/2026,Invoice,1004,Harbour Vet,10/16/2026,46,10.00,10.00
TOTAL,,,,,,,"1,159.95","1,159.95"
"""

XERO_EXPORT = """\
ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,InvoiceAmountPaid,InvoiceAmountDue,\
Description,Quantity,UnitAmount,LineAmount,Currency,Type,Status
Northwind Dental,ap@nw.example,INV-0001,,01/10/2026,31/10/2026,1500.00,0.00,1500.00,Managed,1,1000,1000,CAD,\
Sales invoice,Awaiting Payment
Northwind Dental,ap@nw.example,INV-0001,,01/10/2026,31/10/2026,1500.00,0.00,1500.00,Backup,1,500,500,CAD,\
Sales invoice,Awaiting Payment
Harbour Vet,,INV-0002,,05/10/2026,04/11/2026,300.00,300.00,0.00,Support,1,300,300,CAD,Sales invoice,Paid
Northwind Dental,,INV-0003,,06/10/2026,05/11/2026,50.00,0,50.00,Draft,1,50,50,CAD,Sales invoice,Draft
Nobody Ltd,,INV-0004,,06/10/2026,05/11/2026,50.00,0,50.00,X,1,50,50,CAD,Sales invoice,Awaiting Payment
"""


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite data dir with two clients carrying QuickBooks and Xero ids."""
    monkeypatch.delenv("UNDERSIGN_DATABASE__URL", raising=False)
    folder = tmp_path / "data"
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(folder)]).exit_code == 0
    clock = SystemClock()
    with database_session(Settings(data_dir=folder)) as session:
        audit = SqlAuditTrail(session, clock)
        clients = ClientService(SqlClientRepository(session), clock, audit)
        ids = ExternalIdService(SqlExternalIdRepository(session), SqlClientRepository(session), clock, audit)
        northwind = clients.create(cli_actor(), ClientDraft.model_validate(client_body()))
        harbour = clients.create(cli_actor(), ClientDraft.model_validate(client_body(legal_name="Harbour Vet Ltd.")))
        ids.set(cli_actor(), northwind.id, ExternalIds(quickbooks="Northwind Dental", xero="Northwind Dental"))
        ids.set(cli_actor(), harbour.id, ExternalIds(quickbooks="Harbour Vet", xero="Harbour Vet", psa="CW-7"))
    return folder


def stored(data_dir: Path, number: str) -> tuple[InvoiceRecord | None, str | None]:
    """Return the stored invoice numbered ``number`` and its client's legal name."""
    with database_session(Settings(data_dir=data_dir)) as session:
        invoice = SqlInvoiceRepository(session).by_number(number)
        client = SqlClientRepository(session).get(invoice.client_id) if invoice else None
        return invoice, client.legal_name if client else None


class TestQuickBooks:
    def test_ar_report_imports_matched_by_customer_and_bad_rows_are_reported(
        self, data_dir: Path, tmp_path: Path
    ) -> None:
        """Invoice rows go in for the client holding the QuickBooks name; headings, totals and payments are skipped."""
        export = tmp_path / "qbo.csv"
        export.write_text(QUICKBOOKS_REPORT)
        result = runner.invoke(
            app,
            [
                "invoices",
                "import",
                str(export),
                "--format",
                "quickbooks",
                "--currency",
                "USD",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert result.exit_code == 1
        assert "imported 2, unchanged 0, refused 2" in result.stdout
        assert "line 12: No client has the QuickBooks id 'Unknown Co'" in result.stderr
        assert "line 13: '13/16/2026' is not a date (expected MM/DD/YYYY" in result.stderr
        invoice, client = stored(data_dir, "1001")
        assert invoice is not None and client == "Northwind Dental Clinic Ltd."
        assert (invoice.amount_minor, invoice.currency) == (125000, "USD")
        assert (invoice.issued_on, invoice.due_on) == (date(2026, 10, 15), date(2026, 11, 14))
        assert stored(data_dir, "1002")[1] == "Harbour Vet Ltd."
        again = runner.invoke(
            app,
            [
                "invoices",
                "import",
                str(export),
                "--format",
                "quickbooks",
                "--currency",
                "USD",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert "imported 0, unchanged 2, refused 2" in again.stdout

    def test_report_without_currency_is_refused_by_line(self, data_dir: Path, tmp_path: Path) -> None:
        """A QuickBooks report names no currency; without --currency every invoice row says so."""
        export = tmp_path / "qbo.csv"
        export.write_text(QUICKBOOKS_REPORT)
        result = runner.invoke(
            app, ["invoices", "import", str(export), "--format", "quickbooks", "--data-dir", str(data_dir)]
        )
        assert "imported 0" in result.stdout and "--currency" in result.stderr
        assert stored(data_dir, "1001")[0] is None

    def test_open_balance_zero_marks_paid_on_the_export_day(self, data_dir: Path, tmp_path: Path) -> None:
        """`invoices payments --format quickbooks` marks paid the invoices whose open balance is 0."""
        export = tmp_path / "qbo.csv"
        export.write_text(QUICKBOOKS_REPORT)
        runner.invoke(
            app,
            [
                "invoices",
                "import",
                str(export),
                "--format",
                "quickbooks",
                "--currency",
                "USD",
                "--data-dir",
                str(data_dir),
            ],
        )
        result = runner.invoke(
            app,
            [
                "invoices",
                "payments",
                str(export),
                "--format",
                "quickbooks",
                "--as-of",
                "2026-12-01",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert "paid 1, unchanged 0" in result.stdout
        assert stored(data_dir, "1002")[0].paid_on == date(2026, 12, 1)  # type: ignore[union-attr]
        assert stored(data_dir, "1001")[0].paid_on is None  # type: ignore[union-attr]


class TestXero:
    def test_export_imports_one_invoice_per_number_matched_by_contact(self, data_dir: Path, tmp_path: Path) -> None:
        """Line-item rows make one invoice; drafts are skipped; an unknown contact is reported by line."""
        export = tmp_path / "xero.csv"
        export.write_text(XERO_EXPORT)
        result = runner.invoke(
            app, ["invoices", "import", str(export), "--format", "xero", "--data-dir", str(data_dir)]
        )
        assert "imported 2, unchanged 0, refused 1" in result.stdout
        assert "line 6: No client has the Xero id 'Nobody Ltd'" in result.stderr
        invoice, client = stored(data_dir, "INV-0001")
        assert invoice is not None and client == "Northwind Dental Clinic Ltd."
        assert (invoice.amount_minor, invoice.currency) == (150000, "CAD")
        assert (invoice.issued_on, invoice.due_on) == (date(2026, 10, 1), date(2026, 10, 31))
        assert stored(data_dir, "INV-0003")[0] is None

    def test_payments_from_export_and_from_own_file(self, data_dir: Path, tmp_path: Path) -> None:
        """A Xero 'Paid' invoice is paid on the export day; our own file gives the day; re-runs change nothing."""
        export = tmp_path / "xero.csv"
        export.write_text(XERO_EXPORT)
        runner.invoke(app, ["invoices", "import", str(export), "--format", "xero", "--data-dir", str(data_dir)])
        xero = runner.invoke(
            app,
            [
                "invoices",
                "payments",
                str(export),
                "--format",
                "xero",
                "--as-of",
                "2026-11-30",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert "paid 1, unchanged 0" in xero.stdout
        assert stored(data_dir, "INV-0002")[0].paid_on == date(2026, 11, 30)  # type: ignore[union-attr]
        own = tmp_path / "payments.csv"
        own.write_text("number,paid_on\nINV-0001,2026-11-20\nINV-9999,2026-11-20\nINV-0002,2026-11-25\n")
        first = runner.invoke(app, ["invoices", "payments", str(own), "--data-dir", str(data_dir)])
        assert "paid 1, unchanged 1, refused 1" in first.stdout
        assert "line 3: No invoice numbered 'INV-9999'" in first.stderr
        assert stored(data_dir, "INV-0001")[0].paid_on == date(2026, 11, 20)  # type: ignore[union-attr]
        second = runner.invoke(app, ["invoices", "payments", str(own), "--data-dir", str(data_dir)])
        assert "paid 0, unchanged 2, refused 1" in second.stdout


class TestOwnFormatByExternalId:
    def test_own_columns_may_name_the_client_by_psa_id(self, data_dir: Path, tmp_path: Path) -> None:
        """Our own CSV accepts client_system and client_external_id in place of client_id."""
        own = tmp_path / "inv.csv"
        own.write_text(
            "number,client_system,client_external_id,amount,currency,issued_on,due_on\n"
            "PSA-1,psa,cw-7,10.00,CAD,2026-10-01,2026-10-31\n"
            "PSA-2,halo,7,10.00,CAD,2026-10-01,2026-10-31\n"
        )
        result = runner.invoke(app, ["invoices", "import", str(own), "--data-dir", str(data_dir)])
        assert "imported 1, unchanged 0, refused 1" in result.stdout
        assert "line 3: client_system 'halo' is not psa, quickbooks or xero" in result.stderr
        assert stored(data_dir, "PSA-1")[1] == "Harbour Vet Ltd."
