"""``/v1/documents``: create documents and versions, read them, download the exact stored files, compare."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import HTMLResponse

from api.bounded_params import VersionNumber
from api.deps import DocumentServiceDep, DocumentWriterDep, ReaderDep
from api.schemas.documents import (
    CreatedOut,
    DocumentCreate,
    DocumentOut,
    DocumentPageOut,
    FileOut,
    VersionCreate,
    VersionOut,
    decode_document_cursor,
    encode_document_cursor,
)
from domain.bounds import MAX_VERSION
from domain.document_kind import DocumentKind
from domain.documents import DocumentFilter, FileFormat

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedOut)
def create_document(
    body: DocumentCreate, actor: DocumentWriterDep, service: DocumentServiceDep, response: Response
) -> CreatedOut:
    """Assemble and render a template for a client; the files are filed as version 1."""
    document, version = service.create(actor, body.template, body.client_id, body.variables, body.formats, body.paper)
    response.headers["Location"] = f"/v1/documents/{document.id}"
    return CreatedOut(
        id=document.id, version=version.version, files=[FileOut.of(document.id, 1, f) for f in version.files]
    )


@router.post("/{document_id}/versions", status_code=status.HTTP_201_CREATED, response_model=CreatedOut)
def create_version(
    document_id: str, body: VersionCreate, actor: DocumentWriterDep, service: DocumentServiceDep
) -> CreatedOut:
    """Render new data as the next version; earlier versions stay exactly as they were."""
    version = service.add_version(actor, document_id, body.variables, body.formats, body.paper)
    return CreatedOut(
        id=document_id,
        version=version.version,
        files=[FileOut.of(document_id, version.version, f) for f in version.files],
    )


@router.get("", response_model=DocumentPageOut)
def list_documents(
    _actor: ReaderDep,
    service: DocumentServiceDep,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    template: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[DocumentKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> DocumentPageOut:
    """List documents, newest first, filtered by client, template or kind."""
    page = service.search(
        DocumentFilter(client_id=client_id, template_id=template, kind=kind), limit, decode_document_cursor(cursor)
    )
    return DocumentPageOut(
        items=[DocumentOut.of(d) for d in page.items], next_cursor=encode_document_cursor(page.next_after)
    )


@router.get("/{document_id}", response_model=DocumentOut)
def get_document(document_id: str, _actor: ReaderDep, service: DocumentServiceDep) -> DocumentOut:
    """Return a document and a summary of each of its versions."""
    document = service.get(document_id)
    return DocumentOut.of(document, document.versions)


@router.get("/{document_id}/versions/{number}", response_model=VersionOut)
def get_version(document_id: str, number: VersionNumber, _actor: ReaderDep, service: DocumentServiceDep) -> VersionOut:
    """Return one version: template and clause versions and hashes, input data, files."""
    return VersionOut.of(service.version(document_id, number))


def _file_response(
    service: DocumentServiceDep, document_id: str, number: int, fmt: FileFormat, if_none_match: str | None
) -> Response:
    stored, data = service.file(document_id, number, fmt)
    etag = f'"{stored.blob.sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=31536000, immutable",  # a version's bytes never change
        "Content-Disposition": f'attachment; filename="{document_id}-v{number}.{fmt.value}"',
    }
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content=data, media_type=stored.content_type, headers=headers)


@router.get("/{document_id}/versions/{number}/file.{extension}", response_class=Response)
def get_file(
    document_id: str,
    number: VersionNumber,
    extension: Literal["pdf", "docx"],
    _actor: ReaderDep,
    service: DocumentServiceDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Download exactly the stored PDF or DOCX of a version (ETag = its SHA-256; If-None-Match gives 304)."""
    return _file_response(service, document_id, number, FileFormat(extension), if_none_match)


@router.get("/{document_id}/versions/{number}/diff", response_model=None)
def diff_versions(
    document_id: str,
    number: VersionNumber,
    _actor: ReaderDep,
    service: DocumentServiceDep,
    against: Annotated[int, Query(ge=1, le=MAX_VERSION, description="The version to compare with")],
    format: Annotated[Literal["json", "html"], Query()] = "json",
) -> dict[str, object] | HTMLResponse:
    """Clause-level redline from version ``against`` to this one (added, removed, changed with word diffs)."""
    changes = service.diff(document_id, number, against)
    if format == "html":
        return HTMLResponse(str(changes.html()))
    return changes.as_dict()
