"""Request and response bodies of the template and document routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.assembly.manifest import TemplateManifest
from domain.assembly.paper import Paper
from domain.documents import Document, DocumentVersion, StoredFile
from domain.errors import FieldError, InvalidInput
from domain.keyset_cursor import decode_cursor, encode_cursor

TEMPLATE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)+$"


class TemplateSummary(BaseModel):
    """A template in the list."""

    id: str
    version: str
    title: str
    kind: str
    description: str

    @classmethod
    def of(cls, manifest: TemplateManifest) -> TemplateSummary:
        """Summarise ``manifest``."""
        return cls(
            id=manifest.id,
            version=manifest.version,
            title=manifest.title,
            kind=manifest.kind,
            description=manifest.description,
        )


class TemplateDetail(TemplateSummary):
    """A template with its variables schema, clause slots and signature blocks."""

    variables: dict[str, Any]
    signers: list[dict[str, str]]
    slots: list[dict[str, Any]]

    @classmethod
    def of(cls, manifest: TemplateManifest) -> TemplateDetail:
        """Describe ``manifest`` fully."""
        slots = []
        for slot in manifest.slots:
            variants = []
            for variant in slot.variants:
                clause = manifest.clauses[variant.clause]
                variants.append(
                    {
                        "clause": clause.id,
                        "version": clause.version,
                        "sha256": clause.sha256,
                        "title": clause.title,
                        "when": variant.when,
                    }
                )
            slots.append({"required": slot.required, "variants": variants})
        return cls(
            **TemplateSummary.of(manifest).model_dump(),
            variables=dict(manifest.schema),
            signers=[{"role": s.role, "label": s.label} for s in manifest.signers],
            slots=slots,
        )


class PreviewRequest(BaseModel):
    """Data to preview a template with; nothing is stored."""

    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(default=None, max_length=36)
    variables: dict[str, Any] = Field(default_factory=dict)


class DocumentCreate(BaseModel):
    """Create a document: which template, for which client, with which data, in which formats."""

    model_config = ConfigDict(extra="forbid")

    template: str = Field(max_length=100, pattern=TEMPLATE_ID_PATTERN)
    client_id: str = Field(max_length=36)
    variables: dict[str, Any] = Field(default_factory=dict)
    formats: list[str] = Field(default_factory=lambda: ["pdf"], max_length=2)
    paper: Paper | None = Field(
        default=None, description="a4 or letter; default: Letter for US and Canadian clients, A4 elsewhere"
    )


class VersionCreate(BaseModel):
    """New data for a new version of an existing document."""

    model_config = ConfigDict(extra="forbid")

    variables: dict[str, Any] = Field(default_factory=dict)
    formats: list[str] = Field(default_factory=lambda: ["pdf"], max_length=2)
    paper: Paper | None = Field(default=None, description="a4 or letter; default: the paper of the previous version")


class FileOut(BaseModel):
    """A stored file of a version: format, size, hash and the object-store coordinates."""

    format: str
    content_type: str
    size: int
    sha256: str
    bucket: str
    key: str
    version_id: str
    url: str

    @classmethod
    def of(cls, document_id: str, version: int, stored: StoredFile) -> FileOut:
        """Describe ``stored`` with the URL that downloads exactly these bytes."""
        return cls(
            format=stored.format.value,
            content_type=stored.content_type,
            size=stored.blob.size,
            sha256=stored.blob.sha256,
            bucket=stored.blob.bucket,
            key=stored.blob.key,
            version_id=stored.blob.version_id,
            url=f"/v1/documents/{document_id}/versions/{version}/file.{stored.format.value}",
        )


class VersionOut(BaseModel):
    """One version: what made it and where its files are."""

    document_id: str
    version: int
    template: str
    template_version: str
    document_date: date
    clauses: list[dict[str, Any]]
    variables: dict[str, Any]
    signature_boxes: list[dict[str, Any]]
    library_versions: dict[str, str]
    created_at: datetime
    created_by: str
    files: list[FileOut]

    @classmethod
    def of(cls, version: DocumentVersion, *, with_text: bool = True) -> VersionOut:
        """Describe ``version`` (clause texts left out when ``with_text`` is false)."""
        clauses = (
            [c.as_dict() for c in version.clauses]
            if with_text
            else [{k: v for k, v in c.as_dict().items() if k != "text"} for c in version.clauses]
        )
        return cls(
            document_id=version.document_id,
            version=version.version,
            template=version.template_id,
            template_version=version.template_version,
            document_date=version.document_date,
            clauses=clauses,
            variables=version.variables,
            signature_boxes=[b.as_dict() for b in version.signature_boxes],
            library_versions=version.library_versions,
            created_at=version.created_at,
            created_by=version.created_by,
            files=[FileOut.of(version.document_id, version.version, f) for f in version.files],
        )


class DocumentOut(BaseModel):
    """A document with the summary of every version."""

    id: str
    client_id: str
    template: str
    kind: str
    title: str
    latest_version: int
    frozen: bool
    created_at: datetime
    created_by: str
    versions: list[VersionOut] = Field(default_factory=list)

    @classmethod
    def of(cls, document: Document, versions: tuple[DocumentVersion, ...] = ()) -> DocumentOut:
        """Describe ``document`` and the given versions (without clause texts)."""
        return cls(
            id=document.id,
            client_id=document.client_id,
            template=document.template_id,
            kind=document.kind,
            title=document.title,
            latest_version=document.latest_version,
            frozen=document.frozen_at is not None,
            created_at=document.created_at,
            created_by=document.created_by,
            versions=[VersionOut.of(v, with_text=False) for v in versions],
        )


class CreatedOut(BaseModel):
    """The answer to creating a document or a version."""

    id: str
    version: int
    files: list[FileOut]


class DocumentPageOut(BaseModel):
    """One page of documents and the cursor of the next."""

    items: list[DocumentOut]
    next_cursor: str | None


def encode_document_cursor(position: tuple[datetime, str] | None) -> str | None:
    """Return the opaque cursor for a (created_at, id) keyset position."""
    return None if position is None else encode_cursor(position[0].isoformat(), position[1])


def decode_document_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """Parse a cursor made by ``encode_document_cursor``; anything else is a 422 naming the cursor."""
    if not cursor:
        return None
    created, document_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created), document_id
    except ValueError as exc:
        raise InvalidInput(
            "The cursor is not one this service handed out; start again without it.",
            errors=[FieldError("cursor", "not a valid cursor")],
        ) from exc
