"""Keep the message catalogues in step with the code: extract, update the ``.po`` files, compile the ``.mo``.

Strings are found in the Python sources (calls to ``_``, ``gettext``, ``ngettext`` and the marker
``N_``) and in the Jinja templates the signing pages and the certificate of completion are rendered
from (their ``{% trans %}`` blocks and ``_()`` calls). ``update`` merges them into every language's
``undersign/locale/<lang>/LC_MESSAGES/undersign.po`` (new strings arrive untranslated, removed ones
are dropped) and ``compile`` writes the ``.mo`` files the service loads. ``tests/tools/test_i18n_catalogues.py``
fails while a string is missing or untranslated or a ``.mo`` is stale.

Run: ``.venv/bin/python tools/i18n_catalogues.py update`` (then translate), then ``... compile``.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCALE_DIR = ROOT / "undersign" / "locale"
LANGUAGES = {"fr": "fr_CA"}
PACKAGES = ("api", "services", "domain", "undersign")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _templates() -> dict[str, str]:
    """The Jinja template sources that hold translatable strings, by a name for the catalogue comments."""
    from api.signing_pages import TEMPLATES
    from domain.sealing.completion_certificate import CERTIFICATE_TEMPLATE

    found = {f"api/signing_pages.py:{name}": source for name, source in TEMPLATES.items()}
    found["domain/sealing/completion_certificate.py:certificate"] = CERTIFICATE_TEMPLATE
    return found


def _messages() -> Iterator[tuple[str, int, Any]]:
    # Babel's extractors are loosely typed (a message is a string or a tuple of plural forms).
    extract_py: Any = extract_python
    extract_jinja: Any = babel_extract
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            with path.open("rb") as source:
                for line, _func, message, _comments in extract_py(source, KEYWORDS, [], {}):
                    yield str(path.relative_to(ROOT)), line, message
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    for where, template in _templates().items():
        for line, _func, message, _comments in extract_jinja(io.BytesIO(template.encode()), KEYWORDS, [], options):
            yield where, line, message


def extract() -> Catalog:
    """Return every translatable string the code uses, as a template catalogue (no translations)."""
    catalog = Catalog(project="undersign", fuzzy=False)
    for where, line, message in _messages():
        if isinstance(message, tuple):
            strings = tuple(m for m in message if m)
            if not strings:
                continue
            msgid: str | tuple[str, ...] = strings if len(strings) > 1 else strings[0]
        else:
            msgid = message
        if msgid:
            flags = ("python-format",) if "%(" in str(msgid) else ()
            catalog.add(msgid, locations=[(where, line)], flags=flags)
    return catalog


def po_path(language: str) -> Path:
    """Return the ``.po`` file of ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / "undersign.po"


def read(language: str) -> Catalog:
    """Return the catalogue of ``language`` as stored."""
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=LANGUAGES[language], project="undersign", fuzzy=False)
    with path.open("rb") as source:
        return read_po(source, locale=LANGUAGES[language])


def update() -> None:
    """Merge the strings in the code into every ``.po`` file, keeping existing translations."""
    template = extract()
    for language in LANGUAGES:
        catalog = read(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, omit_header=False, include_previous=False)


def compiled(language: str) -> bytes:
    """Return the ``.mo`` bytes of ``language``'s ``.po`` file."""
    out = io.BytesIO()
    write_mo(out, read(language), use_fuzzy=False)
    return out.getvalue()


def compile_all() -> None:
    """Write the ``.mo`` file beside every ``.po`` file."""
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(compiled(language))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    else:
        sys.exit("usage: i18n_catalogues.py update|compile")
