"""A French signer's pages in Chromium: ``<html lang="fr">``, French words, and still no serious axe violation.

Dana is invited in French (``language: "fr"``); she opens the link from her e-mail, agrees to the French
disclosure, signs by typing, and sees the French "thank you" page. Sam (English) is untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.envelope_support import link_for, send_msa
from tests.browser.axe import serious_violations
from tests.browser.test_signing_page import (  # noqa: F401  (the same server, mail and browser fixtures)
    CLIENT,
    MSP,
    browser,
    database_url,
    port,
    server,
    settings,
    smtp,
)
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer

SIGNERS = [
    {"name": "Dana Wu", "email": CLIENT, "title": "Office Manager", "role": "client", "order": 1, "language": "fr"},
    {"name": "Sam Provider", "email": MSP, "title": "Director", "role": "msp", "order": 2},
]


class TestFrenchSigningPages:
    def test_french_signer_reads_and_signs_in_french(
        self,
        api: Api,
        server: str,  # noqa: F811
        browser: Any,  # noqa: F811
        smtp: LoopbackSmtpServer,  # noqa: F811
        tmp_path: Path,
    ) -> None:
        """Every page Dana sees is lang="fr" with French labels and buttons, and axe finds nothing serious."""
        send_msa(api, signers=SIGNERS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(120_000)
        reports: list[str] = []

        page.goto(server + link_for(smtp, CLIENT))
        assert page.get_attribute("html", "lang") == "fr"
        assert (
            page.locator("h2#consent-heading").inner_text()
            == "Avant de commencer\u00a0: documents et signatures électroniques"
        )
        assert (
            page.locator("#disclosure").inner_text().startswith("Consentement à faire affaire par voie électronique.")
        )
        version = page.locator("#consent-heading ~ p.note").inner_text().replace("\u00a0", " ")
        assert version == "Version de l’avis : esign-consent-fr-1."  # noqa: RUF001
        reports += serious_violations(page, "consent (fr)")
        page.screenshot(path=str(tmp_path / "consent-fr.png"), full_page=True)
        page.get_by_label("J’ai lu l’avis et j’accepte de faire affaire par voie électronique.").check()  # noqa: RUF001
        page.get_by_role("button", name="Continuer").click()

        page.wait_for_selector("#sign-form")
        assert page.get_attribute("html", "lang") == "fr"
        assert page.locator("#sign-heading").inner_text() == "Signer"
        assert page.locator(".pages img").first.get_attribute("alt").startswith("Page 1 de ")
        page.get_by_label("Dessiner ma signature").check()
        assert "Au clavier ou avec un lecteur d’écran" in page.locator("#pad-help").inner_text()  # noqa: RUF001
        page.get_by_label("Taper mon nom").check()
        reports += serious_violations(page, "document (fr)")
        page.get_by_label("Votre nom complet").fill("Dana Wu")
        page.get_by_label("Votre titre").fill("Gérante")
        page.get_by_label("Je suis autorisé(e) à signer au nom de").check()
        page.screenshot(path=str(tmp_path / "sign-fr.png"), full_page=True)
        page.get_by_role("button", name="Signer", exact=True).click()

        page.wait_for_selector("#done")
        assert page.get_attribute("html", "lang") == "fr"
        assert page.locator("h1").inner_text() == "Merci, vous avez signé"
        reports += serious_violations(page, "signed (fr)")
        assert not reports, "\n\n".join(reports)
