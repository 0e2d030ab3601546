"""The message catalogues match the code: every string is in every catalogue, translated, and compiled."""

from __future__ import annotations

import re

import pytest

from tools.i18n_catalogues import LANGUAGES, compiled, extract, po_path, read
from undersign.message_catalogs import GettextCatalogs

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _ids(catalog: object) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
class TestCatalogue:
    def test_holds_exactly_the_strings_the_code_uses(self, language: str) -> None:
        """Every translatable string of the pages, mails and certificate is in the catalogue, and no stale one."""
        in_code, in_catalogue = _ids(extract()), _ids(read(language))
        assert in_code - in_catalogue == set(), "run tools/i18n_catalogues.py update, then translate"
        assert in_catalogue - in_code == set(), "run tools/i18n_catalogues.py update to drop removed strings"

    def test_every_string_is_translated_with_the_same_placeholders(self, language: str) -> None:
        """No message is empty or fuzzy, and each translation fills exactly the placeholders of its source."""
        for message in read(language):
            if not message.id:
                continue
            sources = message.id if isinstance(message.id, tuple) else (message.id,)
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(forms), f"untranslated: {message.id!r}"
            assert not message.fuzzy, f"fuzzy: {message.id!r}"
            for form in forms:
                assert set(_PLACEHOLDER.findall(str(form))) == set(_PLACEHOLDER.findall(str(sources[-1]))), form

    def test_committed_mo_is_compiled_from_the_po(self, language: str) -> None:
        """The .mo the service loads is byte for byte the compilation of the .po beside it."""
        assert po_path(language).with_suffix(".mo").read_bytes() == compiled(language), (
            "run tools/i18n_catalogues.py compile"
        )


def test_french_is_served_from_the_catalogue_and_english_is_the_source() -> None:
    """The loader returns French for "fr", the source strings for "en", and English for a code not shipped."""
    catalogs = GettextCatalogs()
    assert catalogs.translator("fr").gettext("Certificate of completion") == "Certificat d’achèvement"  # noqa: RUF001
    assert catalogs.translator("en").gettext("Certificate of completion") == "Certificate of completion"
    assert catalogs.translator("de").gettext("Certificate of completion") == "Certificate of completion"
