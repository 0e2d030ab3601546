"""Documents: a client's contract, schedule, letter or notice, as an append-only list of versions.

A version records exactly what produced it (template id and version, every clause id, version and
hash, the input data, the library versions that rendered it) and where its files were filed in the
object store. Nothing is ever overwritten: new data makes a new version.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.assembly.assemble import AssembledClause, AssembledDocument
from domain.assembly.context import AssemblyContext, Branding, ClientContact, ClientInfo, DocumentRef
from domain.assembly.paper import Paper
from domain.assembly.records import ClauseRecord, SignatureBoxRecord
from domain.blobs import StoredBlob
from domain.document_kind import DocumentKind
from domain.errors import FieldError, InvalidInput
from domain.roles import Permission


class FileFormat(StrEnum):
    """A rendered file format."""

    PDF = "pdf"
    DOCX = "docx"

    @property
    def content_type(self) -> str:
        """Return the MIME type of the format."""
        if self is FileFormat.PDF:
            return "application/pdf"
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# Who may create which kind of document: sales the contracts, technicians the risk letters,
# billing the notices (admin may do all).
WRITE_PERMISSION_BY_KIND: dict[DocumentKind, Permission] = {
    DocumentKind.CONTRACT: Permission.CONTRACTS_WRITE,
    DocumentKind.SCHEDULE: Permission.CONTRACTS_WRITE,
    DocumentKind.WAIVER: Permission.WAIVERS_WRITE,
    DocumentKind.NOTICE: Permission.NOTICES_WRITE,
}


def parse_formats(formats: list[str] | None) -> tuple[FileFormat, ...]:
    """Return the requested formats (PDF always first; default PDF only), refusing unknown ones."""
    if not formats:
        return (FileFormat.PDF,)
    wanted: list[FileFormat] = []
    for index, name in enumerate(formats):
        try:
            fmt = FileFormat(name)
        except ValueError:
            raise InvalidInput(
                f"Unknown format '{name}': use 'pdf' and/or 'docx'.",
                errors=[FieldError(f"/formats/{index}", "must be 'pdf' or 'docx'")],
            ) from None
        if fmt not in wanted:
            wanted.append(fmt)
    # The PDF is the record: signature boxes and sealing work on it, so it is always made.
    if FileFormat.PDF not in wanted:
        wanted.insert(0, FileFormat.PDF)
    return tuple(sorted(wanted, key=lambda f: f is not FileFormat.PDF))


@dataclass(frozen=True)
class StoredFile:
    """One rendered file of a version and where it is filed."""

    format: FileFormat
    blob: StoredBlob
    content_type: str


@dataclass(frozen=True)
class DocumentVersion:
    """One immutable version of a document."""

    document_id: str
    version: int
    template_id: str
    template_version: str
    document_date: date
    variables: dict[str, Any]
    clauses: tuple[ClauseRecord, ...]
    signature_boxes: tuple[SignatureBoxRecord, ...]
    library_versions: dict[str, str]
    context: dict[str, Any]
    created_at: datetime
    created_by: str
    files: tuple[StoredFile, ...] = ()

    def file(self, fmt: FileFormat) -> StoredFile | None:
        """Return the stored file of ``fmt``, or ``None`` when that format was not made."""
        return next((f for f in self.files if f.format is fmt), None)


@dataclass(frozen=True)
class Document:
    """A document and its latest version number."""

    id: str
    client_id: str
    template_id: str
    kind: DocumentKind
    title: str
    latest_version: int
    created_at: datetime
    created_by: str
    frozen_at: datetime | None = None
    versions: tuple[DocumentVersion, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class DocumentFilter:
    """Which documents a listing returns."""

    client_id: str | None = None
    template_id: str | None = None
    kind: DocumentKind | None = None


def context_snapshot(context: AssemblyContext) -> dict[str, Any]:
    """Return the client and branding a version was made with, as JSON-able data.

    Stored with the version so that it can be re-rendered byte for byte even after the client record
    or the MSP's branding has changed.
    """
    branding = context.branding
    return {
        "paper": context.resolved_paper.value,
        "client": {
            "legal_name": context.client.legal_name,
            "short_name": context.client.short_name,
            "address": context.client.address,
            "jurisdiction": context.client.jurisdiction,
            "contact": {
                "name": context.client.contact.name,
                "email": context.client.contact.email,
                "title": context.client.contact.title,
            },
        },
        "branding": {
            "msp_name": branding.msp_name,
            "address": branding.address,
            "primary_colour": branding.primary_colour,
            "accent_colour": branding.accent_colour,
            "logo": base64.b64encode(branding.logo).decode("ascii") if branding.logo else None,
            "logo_media_type": branding.logo_media_type,
            "sender_signature": (
                base64.b64encode(branding.sender_signature).decode("ascii") if branding.sender_signature else None
            ),
        },
    }


def context_from_snapshot(snapshot: dict[str, Any], document: DocumentRef) -> AssemblyContext:
    """Rebuild the assembly context of a stored version from ``context_snapshot`` data."""
    client = snapshot["client"]
    branding = dict(snapshot["branding"])
    logo = branding.pop("logo")
    signature = branding.pop("sender_signature", None)  # absent in versions filed before facsimiles
    return AssemblyContext(
        branding=Branding(
            **branding,
            logo=base64.b64decode(logo) if logo else None,
            sender_signature=base64.b64decode(signature) if signature else None,
        ),
        client=ClientInfo(
            legal_name=client["legal_name"],
            short_name=client["short_name"],
            address=client["address"],
            jurisdiction=client["jurisdiction"],
            contact=ClientContact(**client["contact"]),
        ),
        document=document,
        # Versions filed before paper followed the jurisdiction were all laid out on A4.
        paper=Paper(snapshot.get("paper", Paper.A4.value)),
    )


def as_assembled(version: DocumentVersion, title: str, kind: DocumentKind) -> AssembledDocument:
    """Rebuild the assembled form of a stored version from its record (for redlines; no token streams)."""
    context = context_from_snapshot(
        version.context,
        DocumentRef(id=version.document_id, version=version.version, date=version.document_date),
    )
    clauses = tuple(
        AssembledClause(
            id=c.id,
            version=c.version,
            sha256=c.sha256,
            number=c.number,
            title=c.title,
            markdown="",
            text=c.text,
            tokens=(),
        )
        for c in version.clauses
    )
    return AssembledDocument(
        template_id=version.template_id,
        template_version=version.template_version,
        title=title,
        kind=kind,
        document=context.document,
        branding=context.branding,
        client=context.client,
        signers=(),
        clauses=clauses,
        variables=version.variables,
        paper=context.resolved_paper,
    )


@dataclass(frozen=True)
class SignedDocument:
    """A document version every party signed: the envelope, when it completed, and the sealed copy."""

    envelope_id: str
    document_id: str
    version: int
    client_id: str
    template_id: str
    signed_at: datetime
    sealed: StoredBlob
    # When the sealed copy needs its next archive timestamp (None: not a long-term seal).
    archive_due_at: datetime | None = None
