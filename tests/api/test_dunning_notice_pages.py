"""Notices issued by a real dunning run with the shipped example settings, read back as PDFs.

The official notice (day 21) fits on one page, and every notice that asks for payment before a
suspension names a pay-by date before the suspension date, checked on the stored PDF with poppler.
"""

from __future__ import annotations

import subprocess
from datetime import date
from typing import Any

import pytest

from domain.roles import Role
from tests.api.test_dunning import new_invoice, record_signed_msa, run_day
from tests.api.test_invoices import make_client
from tests.conftest import Api
from tests.fakes.clock import FixedClock
from undersign.runtime import Runtime
from undersign.settings import REPO_ROOT, Settings


@pytest.fixture
def example_dunning(runtime: Runtime) -> None:
    """Use the billing contact and payment details of the shipped .env.example."""
    example = Settings(_env_file=REPO_ROOT / ".env.example")
    runtime.settings = runtime.settings.model_copy(update={"dunning": example.dunning})


def long_date(day: str) -> str:
    """Return an ISO date as the notices print it (``1 April 2026``)."""
    parsed = date.fromisoformat(day)
    return f"{parsed.day} {parsed.strftime('%B %Y')}"


def stored_notice(api: Api, client_id: str, template: str) -> tuple[dict[str, Any], bytes]:
    """Return the variables and the stored PDF of the client's one notice of ``template``."""
    [item] = api.get(f"/v1/documents?client_id={client_id}&template={template}").json()["items"]
    version = api.get(f"/v1/documents/{item['id']}/versions/1").json()
    [pdf] = [f for f in version["files"] if f["format"] == "pdf"]
    return version["variables"], api.get(pdf["url"], role=Role.BILLING).content


def pages(pdf: bytes) -> int:
    """Return the page count pdfinfo reads."""
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def words(pdf: bytes) -> str:
    """Return the PDF's text (pdftotext) with whitespace and line-end hyphenation folded."""
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.replace("\u2010\n", "").replace("-\n", "-").split())


@pytest.mark.usefixtures("example_dunning")
@pytest.mark.parametrize("signed_msa", [False, True], ids=["no-msa", "signed-msa"])
def test_official_notice_on_one_page_pays_before_it_may_suspend(api: Api, clock: FixedClock, signed_msa: bool) -> None:
    """The day-21 notice is one page with contact and payment, and its pay-by date comes before suspension."""
    client_id = make_client(api)
    if signed_msa:
        record_signed_msa(api, client_id)
    new_invoice(api, client_id, "INV-21")
    assert run_day(api, clock, 21) == [(21, "official-notice")]
    variables, pdf = stored_notice(api, client_id, "notices/official-notice")
    assert pages(pdf) == 1
    assert variables["pay_by"] < variables["suspension_date"]
    text = words(pdf)
    assert f"no later than {long_date(variables['pay_by'])}" in text
    assert f"suspend services from {long_date(variables['suspension_date'])}" in text
    assert "billing@example.net" in text and "https://pay.example.net/" in text and "Jordan Reyes" in text
    assert ("Master Services Agreement" in text) is signed_msa


@pytest.mark.usefixtures("example_dunning")
def test_on_schedule_final_notice_pays_by_a_day_before_suspension(api: Api, clock: FixedClock) -> None:
    """An on-schedule final notice asks for payment by the business day before suspension, with no timing excuse."""
    client_id = make_client(api)
    new_invoice(api, client_id, "INV-30")
    sent = [step for day in (21, 30) for step in run_day(api, clock, day)]
    assert sent == [(21, "official-notice"), (30, "final-notice")]
    variables, pdf = stored_notice(api, client_id, "notices/final-notice")
    assert variables["pay_by"] < variables["suspension_date"]
    assert "moved_reason" not in variables
    text = words(pdf)
    pay_by, suspend = long_date(variables["pay_by"]), long_date(variables["suspension_date"])
    assert f"by {pay_by}, we will suspend services on {suspend}" in text
    assert "usual schedule" not in text and "different day" not in text
