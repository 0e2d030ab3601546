"""After a real signing, the sealed PDF's Name, Title and Date lines under each box carry the signer's details.

Driven through the signing page's forms (typed and drawn signatures), then read back from the sealed
PDF with poppler's ``pdftotext -bbox``: the words printed after each "Name"/"Title"/"Date" label of
the template, on that label's 6 mm line, are the signer's typed name, title and signing date.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree

from domain.roles import Role
from domain.sealing.stamping import SIG_LINE_HEIGHT, long_date
from tests.api.envelope_support import link_for, send_msa
from tests.api.test_envelopes import CLIENT, MSP, settings, sign_as, smtp  # noqa: F401 - fixtures
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer


@dataclass(frozen=True)
class Word:
    """One word pdftotext found, with its page and box in points from the page's top-left corner."""

    page: int
    text: str
    left: float
    top: float
    right: float


def words(pdf: bytes) -> list[Word]:
    """Return every word of the PDF with its position (pdftotext -bbox)."""
    xhtml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    root = etree.fromstring(xhtml, parser=etree.XMLParser(recover=True))
    found = []
    for number, page in enumerate(root.iter("{*}page")):
        for w in page.iter("{*}word"):
            found.append(Word(number, w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax"))))
    return found


def filled(all_words: list[Word], label: str) -> list[str]:
    """Return, for each ``label`` word that starts a signature line, the text written on its line after it."""
    values = []
    for lab in (w for w in all_words if w.text == label):
        on_line = [
            w
            for w in all_words
            if w.page == lab.page
            and lab.right < w.left < lab.left + 200
            and lab.top - 1 <= w.top < lab.top + SIG_LINE_HEIGHT - 2
        ]
        if on_line or label == "Name":
            values.append(" ".join(w.text for w in sorted(on_line, key=lambda w: w.left)))
    return values


def test_sealed_msa_fills_name_title_and_date_under_each_box(
    api: Api,
    smtp: LoopbackSmtpServer,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    """The typed-signing client's and the drawing MSP's name, title and date sit on the lines under their boxes."""
    envelope = send_msa(api)
    assert sign_as(api, link_for(smtp, CLIENT), name="Dana Wu", title="Office Manager").status_code == 200
    signed = sign_as(api, link_for(smtp, MSP), drawn=True, name="Sam Provider", title="Director")
    assert signed.status_code == 200, signed.text
    done = api.get(f"/v1/envelopes/{envelope['id']}", role=Role.AUDITOR).json()
    assert done["status"] == "completed"
    dates = [long_date(datetime.fromisoformat(s["signed_at"])) for s in done["signers"]]
    sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf", role=Role.AUDITOR).content
    (tmp_path / "sealed.pdf").write_bytes(sealed)  # kept for a look (pdftoppm) when the test fails
    everything = words(sealed)
    # The signature blocks close the contract; the certificate pages after it have a "Name" column too.
    page = min(w.page for w in everything if w.text == "Name")
    found = [w for w in everything if w.page == page]
    assert len([w for w in found if w.text == "Name"]) == 2, "the MSA has one signature block per party"
    assert filled(found, "Name") == ["Dana Wu", "Sam Provider"]
    assert filled(found, "Title") == ["Office Manager", "Director"]
    assert filled(found, "Date") == dates
