"""The languages signers are served in, and the translator the signing pages, mails and certificate use.

A signer's language is chosen when the envelope is created (``en`` or ``fr``; the French is Canadian
French, for Quebec). Strings are looked up in gettext message catalogues by the English text; the
catalogues are loaded at the edge (``undersign/message_catalogs.py``) and handed in as a
:class:`MessageCatalogs`, so this module does no I/O. Without catalogues every language reads English.
"""

from __future__ import annotations

from typing import Protocol

#: The languages that ship, by code; the first is the default.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "français (Canada)"}
DEFAULT_LANGUAGE = "en"


def language_problem(value: object) -> str | None:
    """Return why ``value`` is not a language code we ship (``None`` if it is one)."""
    if value in LANGUAGES:
        return None
    return f"must be one of {', '.join(repr(code) for code in LANGUAGES)}"


def N_(message: str) -> str:  # noqa: N802  (the gettext convention extraction tools look for)
    """Mark ``message`` for the catalogues without translating it here (it is translated where it is shown)."""
    return message


class Translator(Protocol):
    """The two gettext calls (``gettext.NullTranslations`` and ``GNUTranslations`` provide them)."""

    def gettext(self, message: str, /) -> str:
        """Return ``message`` in the translator's language."""
        ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        """Return the singular or plural form for ``n`` in the translator's language."""
        ...


class English:
    """The identity translator: the source strings are English."""

    def gettext(self, message: str, /) -> str:
        """Return ``message`` unchanged."""
        return message

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        """Return ``singular`` for 1 and ``plural`` otherwise."""
        return singular if n == 1 else plural


ENGLISH = English()


class MessageCatalogs(Protocol):
    """Where the translator of each language comes from."""

    def translator(self, language: str) -> Translator:
        """Return the translator for ``language`` (English for a code that is not shipped)."""
        ...


class EnglishOnly:
    """Catalogues that know only English (what services use when none are wired, e.g. in unit tests)."""

    def translator(self, language: str) -> Translator:
        """Return the English translator whatever ``language`` is."""
        return ENGLISH
