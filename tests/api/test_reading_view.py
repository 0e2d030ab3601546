"""The reading view and the PDF download: the same document as the PDF, delivered only after consent, recorded.

"The same document" is checked independently: the text poppler's ``pdftotext`` reads out of the sent
PDF must contain every clause's words as the reading view shows them, and the PDF downloaded from
the signing page must hash to the envelope's recorded ``sent_sha256``.
"""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.tables import audit_events
from tests.api.envelope_support import link_for, post_form, send_msa
from tests.api.test_envelopes import CLIENT, settings, sign_as, smtp  # noqa: F401 - fixtures reused by name
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime

VIEWS = ("signer.viewed", "signer.view_delivered", "signer.page_viewed")


def view_events(runtime: Runtime) -> list[tuple[str, Any]]:
    """Return the chained (action, payload) of every view event, in order."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(audit_events.c.action, audit_events.c.payload)
            .where(audit_events.c.action.in_(VIEWS))
            .order_by(audit_events.c.seq)
        ).all()
    return [(row[0], row[1]) for row in rows]


def _words(text: str) -> str:
    # List numbers are markup in HTML (<ol>) but text in the clause record: compare the words only.
    return " ".join(w for w in re.sub(r"[^\w]+", " ", text).split() if not w.isdigit()).lower()


def _visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


class TestReadingView:
    def test_reading_view_is_the_pdfs_text_and_its_delivery_is_recorded_with_its_hash(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
        tmp_path: Path,
    ) -> None:
        """After consent the reading view shows every clause of the sent PDF; its HTML hash is recorded once."""
        envelope = send_msa(api)
        path = link_for(smtp, CLIENT)
        post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"})
        sign_page = api.client.get(path).text
        assert f'href="{path}/read"' in sign_page and f'href="{path}/document.pdf"' in sign_page
        assert 'id="end-of-document"' in sign_page

        page = api.client.get(f"{path}/read")
        assert page.status_code == 200
        assert (
            page.headers["cache-control"] == "no-store"
            and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        )
        shown_hash = re.search(r'id="reading-sha256"[^>]*>([0-9a-f]{64})<', page.text)
        assert shown_hash and 'id="end-of-document"' in page.text
        article = page.text.split('id="reading"', 1)[1].split("</article>", 1)[0]
        reading = _words(_visible(article))

        sent = tmp_path / "sent.pdf"
        sent.write_bytes(api.get(f"/v1/documents/{envelope['document_id']}/versions/1/file.pdf").content)
        pdf_text = _words(subprocess.run(["pdftotext", str(sent), "-"], capture_output=True, text=True).stdout)
        version = api.get(f"/v1/documents/{envelope['document_id']}/versions/1").json()
        assert version["clauses"]
        for clause in version["clauses"]:
            title = _words(clause["title"])
            assert title in reading and title in pdf_text
            first_words = " ".join(_words(clause["text"]).split()[:8])
            assert first_words in reading, clause["id"]

        api.client.get(f"{path}/read")  # a second delivery is not a second event
        events = view_events(runtime)
        assert [action for action, _ in events] == ["signer.viewed"]
        detail = events[0][1]
        assert detail["view"] == "reading_view" and detail["html_sha256"] == shown_hash.group(1)
        assert detail["clauses_match_pdf"] == len(version["clauses"])
        assert detail["template_version"] == version["template_version"]

    def test_pdf_downloads_before_signing_exactly_as_sent_and_is_recorded(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """The PDF link serves the sent bytes as a PDF; the download is chained, the page image with the signature."""
        envelope = send_msa(api)
        path = link_for(smtp, CLIENT)
        post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"})
        download = api.client.get(f"{path}/document.pdf")
        assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.content.startswith(b"%PDF-")
        assert hashlib.sha256(download.content).hexdigest() == envelope["sent_sha256"]
        api.client.get(f"{path}/document.pdf")
        api.client.get(f"{path}/pages/0.png")
        events = view_events(runtime)
        # The page image after the first view is chained with the signature, not as an event of its own.
        assert [(a, p["view"]) for a, p in events] == [("signer.viewed", "pdf_download")]
        assert events[0][1]["sha256"] == envelope["sent_sha256"]

        signed = sign_as(api, path)
        assert signed.status_code == 200
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        detail = next(e["detail"] for e in state["events"] if e["action"] == "signer.signed")
        assert detail["views_delivered"] == ["pdf_download"] and 1 in detail["viewed_pages"]

    def test_nothing_of_the_document_is_delivered_before_consent_or_the_code(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Before consent (and before the one-time code) the reading view and the PDF are the plain invalid page."""
        send_msa(api, otp=True)
        path = link_for(smtp, CLIENT)
        for url in (f"{path}/read", f"{path}/document.pdf"):
            answer = api.client.get(url)
            assert answer.status_code == 404 and "This link cannot be used" in answer.text
        post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"})
        assert api.client.get(f"{path}/document.pdf").status_code == 404
        assert view_events(runtime) == []
