"""What a document is assembled *for*: the MSP's branding, the client, and the document version.

These values come from the caller (configuration and stored records), never from the template and
never from the request's variables. They are exposed to clauses as ``branding``, ``client`` and
``document`` (see templates/FORMAT.md) and drive the layout (header, footer, PDF identifier).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from domain.assembly.paper import Paper, paper_for

if TYPE_CHECKING:
    from domain.clients import Client

# Colours go into CSS; only a strict hex form is accepted so that a colour can never carry CSS syntax
# (``red; background: url(...)``) into the stylesheet.
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LOGO_TYPES = ("image/jpeg", "image/png", "image/svg+xml")


@dataclass(frozen=True)
class Branding:
    """The MSP's identity as printed on every page: name, address, colours and an optional logo.

    ``logo`` holds the image bytes (the caller reads the file); it is embedded as a ``data:`` URI, so
    rendering never fetches it. JPEG or SVG logos are much cheaper to render than PNG.
    """

    msp_name: str
    address: str = ""
    primary_colour: str = "#1f3a5f"
    accent_colour: str = "#5b7c99"
    logo: bytes | None = None
    logo_media_type: str = "image/jpeg"
    #: One paper size for every document of the MSP; ``None`` lets each client's jurisdiction decide.
    paper: Paper | None = None
    #: The billing contact's facsimile signature (PNG, already checked and scaled by
    #: ``domain.signature_image.normalise_facsimile``), printed above their name on notices.
    sender_signature: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("primary_colour", "accent_colour"):
            if not _HEX_COLOUR.fullmatch(getattr(self, name)):
                raise ValueError(f"{name} must be a colour like #1f3a5f")
        if self.logo is not None and self.logo_media_type not in _LOGO_TYPES:
            raise ValueError(f"logo_media_type must be one of {', '.join(_LOGO_TYPES)}")


@dataclass(frozen=True)
class Contact:
    """A person at the client; prints as ``Name <email>`` when used whole in a clause."""

    name: str
    email: str = ""
    title: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


#: The same class under a name that cannot be confused with ``domain.clients.Contact``.
ClientContact = Contact


@dataclass(frozen=True)
class ClientInfo:
    """The client party as clauses see it (``client.legal_name`` and so on)."""

    legal_name: str
    short_name: str = ""
    address: str = ""
    jurisdiction: str = ""
    contact: Contact = field(default_factory=lambda: Contact(name=""))

    @classmethod
    def from_client(cls, client: Client) -> ClientInfo:
        """Build the clause view of a stored client."""
        person = client.primary_contact
        return cls(
            legal_name=client.legal_name,
            short_name=client.short_name or client.legal_name,
            address=client.address,
            jurisdiction=client.jurisdiction,
            contact=Contact(name=person.name, email=str(person.email), title=person.title),
        )


@dataclass(frozen=True)
class DocumentRef:
    """The document version being rendered.

    ``id`` and ``version`` name the stored version; ``date`` is the date printed on the document.
    ``created_at`` is the version's creation time (stored with the version); the PDF's creation date
    and identifier derive from these fields only, so rendering the same version again yields the same
    bytes. Without ``created_at`` midnight UTC of ``date`` is used.
    """

    id: str
    version: int
    date: date
    created_at: datetime | None = None

    @property
    def timestamp(self) -> datetime:
        """Return the timezone-aware creation time written into the PDF and DOCX metadata."""
        if self.created_at is not None:
            if self.created_at.tzinfo is None:
                return self.created_at.replace(tzinfo=UTC)
            return self.created_at
        return datetime.combine(self.date, time(0, 0), tzinfo=UTC)


@dataclass(frozen=True)
class AssemblyContext:
    """Everything besides the variables that a document is assembled with."""

    branding: Branding
    client: ClientInfo
    document: DocumentRef
    #: This document's paper, overriding the MSP's setting and the client's jurisdiction.
    paper: Paper | None = None

    @property
    def resolved_paper(self) -> Paper:
        """Return the paper the document prints on: request, then MSP setting, then jurisdiction."""
        return paper_for(self.client.jurisdiction, self.paper or self.branding.paper)


# Which jurisdiction a sample is drawn for when its variables name no governing law: by currency.
_SAMPLE_JURISDICTION_BY_CURRENCY = {"USD": "US-NY", "CAD": "CA-BC", "GBP": "GB-ENG", "EUR": "IE", "AUD": "AU-NSW"}
# ... or by the data protection law a Data Processing Addendum is written for.
_SAMPLE_JURISDICTION_BY_LAW = {"uk-gdpr": "GB-ENG", "eu-gdpr": "IE", "pipeda": "CA-BC", "us": "US-NY"}


def sample_jurisdiction(variables: Any) -> str:
    """Return the client jurisdiction a sample stands for: governing law, currency, data protection law, or US-NY."""
    if isinstance(variables, dict):
        law = variables.get("governing_law")
        if isinstance(law, dict) and isinstance(law.get("country"), str):
            region = law.get("region")
            return f"{law['country']}-{region}" if isinstance(region, str) and region else law["country"]
        currency = variables.get("currency")
        if isinstance(currency, str) and currency in _SAMPLE_JURISDICTION_BY_CURRENCY:
            return _SAMPLE_JURISDICTION_BY_CURRENCY[currency]
        law = variables.get("law")
        if isinstance(law, str) and law in _SAMPLE_JURISDICTION_BY_LAW:
            return _SAMPLE_JURISDICTION_BY_LAW[law]
    return "US-NY"


def sample_context(variables: Any = None) -> AssemblyContext:
    """Return the fixed context used to render template samples (tests and ``templates check``).

    The sample client sits in the jurisdiction the sample is written for (``sample_jurisdiction``), so a
    British sample prints on A4 and a Texan one on Letter.
    """
    return AssemblyContext(
        branding=Branding(msp_name="Example Managed Services Ltd", address="1 Sample Street, Springfield"),
        client=ClientInfo(
            legal_name="Sample Client Inc.",
            short_name="Sample Client",
            address="2 Example Road, Shelbyville",
            jurisdiction=sample_jurisdiction(variables),
            contact=Contact(name="Pat Example", email="pat@client.example", title="Director"),
        ),
        document=DocumentRef(id="SAMPLE-0001", version=1, date=date(2026, 1, 15)),
    )
