"""The compiled gettext catalogues (``undersign/locale/<lang>/LC_MESSAGES/undersign.mo``), loaded once.

The ``.mo`` files are committed beside their ``.po`` sources so a fresh clone and the installed wheel
both have them without a build step; ``tools/i18n_catalogues.py`` regenerates them and a test fails
when a ``.mo`` no longer matches its ``.po`` or a string in the code is missing from a catalogue.
"""

from __future__ import annotations

import gettext
import threading
from pathlib import Path

from domain.languages import DEFAULT_LANGUAGE, ENGLISH, LANGUAGES, Translator

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "undersign"


class GettextCatalogs:
    """The translator of every shipped language, read from the ``.mo`` files on first use."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self._directory = directory
        self._loaded: dict[str, Translator] = {}
        self._lock = threading.Lock()

    def translator(self, language: str) -> Translator:
        """Return the translator for ``language``; English for ``en`` and for codes that are not shipped.

        A shipped language whose ``.mo`` file is missing raises ``FileNotFoundError``: a French
        signer must never be served English silently.
        """
        if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
            return ENGLISH
        with self._lock:
            if language not in self._loaded:
                self._loaded[language] = gettext.translation(DOMAIN, self._directory, languages=[language])
            return self._loaded[language]
