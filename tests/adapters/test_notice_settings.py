"""Notices rendered with the shipped example settings say who to contact, how to pay, and who sends them."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from adapters.renderers import InlineRenderer
from adapters.template_library import TemplateLibrary
from domain.assembly.context import sample_context
from domain.documents import FileFormat
from domain.dunning import StepKind
from domain.errors import InvalidInput
from domain.invoices import InvoiceRecord
from domain.render_job import RenderJob
from services.dunning_notices import NoticeFacts, notice_variables
from undersign.branding import branding_from_settings
from undersign.service_factory import notice_settings
from undersign.settings import REPO_ROOT, Mode, Settings

LIBRARY = TemplateLibrary(REPO_ROOT / "templates")
EXAMPLE = REPO_ROOT / ".env.example"
INVOICE = InvoiceRecord(
    id="inv-1",
    number="INV-2001",
    client_id="client-1",
    currency="CAD",
    amount_minor=427934,
    issued_on=date(2026, 2, 1),
    due_on=date(2026, 2, 16),
    created_at=datetime(2026, 2, 1, tzinfo=UTC),
    updated_at=datetime(2026, 2, 1, tzinfo=UTC),
)
STEPS = [
    ("notices/reminder", StepKind.EMAIL_REMINDER, date(2026, 2, 23), None, None),
    ("notices/official-notice", StepKind.OFFICIAL_NOTICE, date(2026, 3, 9), date(2026, 3, 18), None),
    ("notices/final-notice", StepKind.FINAL_NOTICE, date(2026, 3, 18), date(2026, 3, 20), date(2026, 3, 23)),
]


def example_settings() -> Settings:
    """Return the settings of the shipped .env.example (development mode)."""
    return Settings(_env_file=EXAMPLE)


@pytest.mark.parametrize(("template_id", "kind", "day", "pay_by", "suspension_on"), STEPS, ids=[s[0] for s in STEPS])
def test_notice_has_contact_payment_and_sender(
    template_id: str, kind: StepKind, day: date, pay_by: date | None, suspension_on: date | None
) -> None:
    """The PDF (read by pdftotext) names the contact's e-mail, the portal, the sender's title and no signature box."""
    settings = notice_settings(example_settings())
    manifest = LIBRARY.get(template_id)
    facts = NoticeFacts("step", kind, template_id, INVOICE.due_on, day, pay_by=pay_by, suspension_on=suspension_on)
    variables = notice_variables(
        facts,
        INVOICE,
        day=day,
        interest=None,
        msa=None,
        settings=settings,
        jurisdiction="CA-BC",
        final_notice_on=None,
        allowed=set(dict(manifest.schema).get("properties", {})),
    )
    job = RenderJob(template_id, variables, sample_context({"currency": "CAD"}), (FileFormat.PDF,))
    pdf = InlineRenderer(LIBRARY).render(job).files[FileFormat.PDF]
    text = " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split()
    )
    assert "billing@example.net" in text and "https://pay.example.net/" in text
    assert "Jordan Reyes" in text and "Accounts Receivable Manager" in text and "Yours sincerely" in text
    assert "For the Provider" not in text


class TestStartupRefusal:
    def test_production_names_missing_contact_and_payment(self) -> None:
        """Without contact and payment settings, production lists both missing groups by variable name."""
        problems = Settings(mode=Mode.DEVELOPMENT).dunning_problems()
        assert any("UNDERSIGN_DUNNING__CONTACT_EMAIL" in p for p in problems)
        assert any("UNDERSIGN_DUNNING__PORTAL_URL" in p for p in problems)

    def test_example_settings_are_complete(self) -> None:
        """The shipped example settings leave nothing missing for notices."""
        assert example_settings().dunning_problems() == []


class TestNoSignedAgreement:
    @pytest.mark.parametrize("template_id", ["notices/suspension", "notices/final-notice", "notices/official-notice"])
    def test_notice_without_a_signed_msa_does_not_claim_one(self, template_id: str) -> None:
        """Without an MSA citation (and so no agreed interest), a notice never mentions a Master Services Agreement."""
        sample = LIBRARY.samples(template_id)[0].variables
        variables = {k: v for k, v in sample.items() if k not in ("msa_clause", "interest", "suspension_notice")}
        job = RenderJob(template_id, variables, sample_context(variables), (FileFormat.PDF,))
        pdf = InlineRenderer(LIBRARY).render(job).files[FileFormat.PDF]
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Master Services Agreement" not in " ".join(out.split())


def _scan(path: Path) -> Path:
    """Write a JPEG 'scan' of a signature to ``path`` and return it."""
    image = Image.new("RGB", (1200, 400), (255, 255, 255))
    ImageDraw.Draw(image).line([(40, 340), (300, 60), (700, 360), (1160, 80)], fill=(10, 20, 90), width=14)
    image.save(path, "JPEG")
    return path


def _official_notice_pdf(settings: Settings) -> bytes:
    """Render the day-21 sample with the branding (and facsimile) these settings give."""
    sample = LIBRARY.samples("notices/official-notice")[0].variables
    context = sample_context(sample)
    context = replace(context, branding=branding_from_settings(settings))
    job = RenderJob("notices/official-notice", sample, context, (FileFormat.PDF,))
    return InlineRenderer(LIBRARY).render(job).files[FileFormat.PDF]


def _images(pdf: bytes) -> list[str]:
    """Return pdfimages' rows for the PDF's images (page, number, type, width, height ...)."""
    out = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line for line in out.splitlines()[2:] if line.split()[2] == "image"]


class TestFacsimileSignature:
    def test_setting_prints_the_signature_above_the_sender(self, tmp_path: Path) -> None:
        """With a facsimile set, the notice embeds one image (re-encoded, at most 600 px wide) in its sign-off."""
        settings = example_settings()
        settings = settings.model_copy(
            update={"dunning": settings.dunning.model_copy(update={"signature_image_path": _scan(tmp_path / "s.jpg")})}
        )
        path = tmp_path / "notice.pdf"
        path.write_bytes(_official_notice_pdf(settings))
        [row] = _images(path.read_bytes())
        assert int(row.split()[3]) <= 600
        words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
        assert "Yours sincerely" in words and "Jordan Reyes" in words

    def test_without_the_setting_name_and_title_only(self) -> None:
        """Without a facsimile, the notice has no image and no empty box: the name and title sign it off."""
        pdf = _official_notice_pdf(example_settings())
        assert _images(pdf) == []
        text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode().split())
        assert "Jordan Reyes Accounts Receivable Manager" in text

    def test_unusable_file_names_the_setting(self, tmp_path: Path) -> None:
        """A missing file and an oversized scan are refused with the setting's name and what is wrong."""
        settings = example_settings()
        big = tmp_path / "big.jpg"
        Image.new("RGB", (3200, 300), (255, 255, 255)).save(big, "JPEG")
        for path, reason in ((tmp_path / "none.png", "No such file"), (big, "3200 x 300 pixels")):
            dunning = settings.dunning.model_copy(update={"signature_image_path": path})
            with pytest.raises(InvalidInput) as refused:
                branding_from_settings(settings.model_copy(update={"dunning": dunning}))
            [error] = refused.value.errors
            assert error.pointer == "UNDERSIGN_DUNNING__SIGNATURE_IMAGE_PATH" and reason in error.reason
