"""Document use cases: assemble and render a template for a client, file every version, read and compare.

The order of effects matters for the record: the files are written to the object store first,
then the rows that point at them are added to the unit of work, which the request commits. A failed
request can leave an orphan blob (harmless, never referenced) but never a row pointing at nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.actor import Actor
from domain.assembly.assemble import REVIEWED_VARIABLE, assemble
from domain.assembly.context import AssemblyContext, Branding, ClientContact, ClientInfo, DocumentRef
from domain.assembly.manifest import TemplateManifest
from domain.assembly.paper import Paper
from domain.assembly.redline import Redline, redline
from domain.assembly.variables import validate_variables
from domain.blobs import Retention
from domain.clients import Client
from domain.documents import (
    WRITE_PERMISSION_BY_KIND,
    Document,
    DocumentFilter,
    DocumentVersion,
    FileFormat,
    StoredFile,
    as_assembled,
    context_from_snapshot,
    context_snapshot,
    parse_formats,
)
from domain.envelopes import RetentionPolicy
from domain.errors import Conflict, FieldError, InvalidInput, NotFound
from domain.ports import (
    AuditTrail,
    BlobStore,
    ClientRepository,
    Clock,
    DocumentListener,
    DocumentRenderer,
    DocumentRepository,
    TemplateCatalog,
    TemplateReviewRepository,
)
from domain.render_job import RenderJob, RenderResult
from domain.roles import Permission
from domain.template_reviews import template_digest

MAX_PAGE = 200
PREVIEW_CLIENT = ClientInfo(
    legal_name="[Client legal name]",
    short_name="[Client]",
    address="[Client address]",
    jurisdiction="",
    contact=ClientContact(name="[Client contact]"),
)


@dataclass(frozen=True)
class DocumentPage:
    """One page of a document listing and the keyset position of the next page."""

    items: list[Document]
    next_after: tuple[datetime, str] | None


@dataclass(frozen=True)
class RenderBudget:
    """How far one render may go before it is stopped with a problem response."""

    max_pages: int = 60
    timeout_seconds: float = 60.0


def _file_stem(template_id: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", template_id.split("/")[-1].lower()).strip("-") or "document"


@dataclass(frozen=True)
class NewDocument:
    """One document to create: the template, the client, its variables and the formats wanted."""

    template_id: str
    client_id: str
    variables: dict[str, Any]
    formats: list[str] | None = None


@dataclass(frozen=True)
class CreatedDocument:
    """A document just filed, with the bytes of its files as rendered (no need to read them back)."""

    document: Document
    version: DocumentVersion
    files: Mapping[FileFormat, bytes] = field(repr=False)


@dataclass(frozen=True)
class _Prepared:
    manifest: TemplateManifest
    document: Document
    client: Client
    context: AssemblyContext
    variables: dict[str, Any]
    formats: tuple[FileFormat, ...]
    retention: Retention | None


# Document kinds that are evidence as soon as they are issued (not only once signed and sealed).
EVIDENCE_ON_ISSUE = frozenset({"notice"})


class DocumentService:
    """Create documents and versions, and read them back exactly as stored."""

    def __init__(
        self,
        *,
        documents: DocumentRepository,
        clients: ClientRepository,
        templates: TemplateCatalog,
        renderer: DocumentRenderer,
        blobs: BlobStore,
        clock: Clock,
        branding: Branding,
        audit: AuditTrail,
        budget: RenderBudget | None = None,
        listeners: Sequence[DocumentListener] = (),
        evidence_lock: RetentionPolicy | None = None,
        render_parallelism: int = 1,
        reviews: TemplateReviewRepository | None = None,
    ) -> None:
        self._audit = audit
        # Counsel's reviews of template texts: a reviewed text prints without the draft mark.
        self._reviews = reviews
        # How many renders ``create_many`` keeps in flight at once: the render workers, so a batch
        # keeps every core busy (1 for an in-process renderer, which is not made for threads).
        self._parallelism = max(1, render_parallelism)
        # Documents that are evidence the moment they are issued (a notice proves notice was given)
        # are filed under Object Lock at once, not only when sealed.
        self._evidence_lock = evidence_lock
        self._documents = documents
        self._clients = clients
        self._templates = templates
        self._renderer = renderer
        self._blobs = blobs
        self._clock = clock
        self._branding = branding
        self._budget = budget or RenderBudget()
        self._listeners = tuple(listeners)

    # -- writing -------------------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        template_id: str,
        client_id: str,
        variables: dict[str, Any],
        formats: list[str] | None,
        paper: Paper | None = None,
    ) -> tuple[Document, DocumentVersion]:
        """Render ``template_id`` for the client and file it as version 1 of a new document.

        ``paper`` overrides the size the client's jurisdiction (or the MSP's setting) would choose.
        """
        created = self.create_many(actor, [NewDocument(template_id, client_id, variables, formats)], paper=paper)[0]
        return created.document, created.version

    def create_many(
        self, actor: Actor, requests: Sequence[NewDocument], *, paper: Paper | None = None
    ) -> list[CreatedDocument]:
        """Create one document per request in this unit of work, rendering and storing them side by side.

        Every request is checked first (permission, client, variables), so a bad one refuses the
        whole batch before any render starts. The renders then run on all render workers at once,
        each file is stored as soon as its render is done, and the rows and audit events are added
        in request order. The files' bytes come back with the records, so a caller that mails them
        never reads them back from the store.
        """
        now = self._clock.now()
        prepared = [self._prepare(actor, request, now, paper) for request in requests]
        if self._parallelism > 1 and len(prepared) > 1:
            with ThreadPoolExecutor(max_workers=min(self._parallelism, len(prepared))) as pool:
                filed = list(pool.map(self._render_and_store, prepared))
        else:
            filed = [self._render_and_store(item) for item in prepared]
        created = []
        for item, (result, files) in zip(prepared, filed, strict=True):
            version = self._version_record(actor, item, 1, result, files, now)
            self._documents.add(item.document)
            self._documents.add_version(version)
            self._record_version(actor, item.document, version, "document.created")
            created.append(CreatedDocument(item.document, version, result.files))
        return created

    def _prepare(self, actor: Actor, request: NewDocument, now: datetime, paper: Paper | None) -> _Prepared:
        manifest = self._templates.get(request.template_id)
        self._require_write(actor, manifest)
        wanted = parse_formats(request.formats)
        client = self._client(request.client_id)
        document = Document(
            id=str(uuid.uuid4()),
            client_id=client.id,
            template_id=manifest.id,
            kind=manifest.kind,
            title=manifest.title,
            latest_version=1,
            created_at=now,
            created_by=actor.label,
        )
        return self._prepared(manifest, document, 1, client, request.variables, wanted, now, paper)

    def _prepared(
        self,
        manifest: TemplateManifest,
        document: Document,
        number: int,
        client: Client,
        variables: dict[str, Any],
        formats: tuple[FileFormat, ...],
        now: datetime,
        paper: Paper | None,
    ) -> _Prepared:
        context = AssemblyContext(
            branding=self._branding,
            client=ClientInfo.from_client(client),
            document=DocumentRef(id=document.id, version=number, date=now.date(), created_at=now),
            paper=paper,
        )
        variables = self._with_review(manifest, variables)
        # Bad variables are refused here, every problem named, before a render worker is busy.
        validate_variables(manifest.schema, variables)
        lock = self._evidence_lock
        retention = (
            Retention(mode=lock.mode, retain_until=lock.retain_until(manifest.kind, now))
            if lock is not None and manifest.kind in EVIDENCE_ON_ISSUE
            else None
        )
        return _Prepared(manifest, document, client, context, variables, formats, retention)

    def _render_and_store(self, item: _Prepared) -> tuple[RenderResult, tuple[StoredFile, ...]]:
        """Render ``item`` and store its files (no database work: this may run on a helper thread)."""
        result = self._render(item.manifest.id, item.variables, item.context, item.formats)
        stem = _file_stem(item.manifest.id)
        number = item.context.document.version
        files = tuple(
            StoredFile(
                format=fmt,
                content_type=fmt.content_type,
                blob=self._blobs.put(
                    f"documents/{item.client.id}/{item.document.id}/v{number}/{stem}.{fmt.value}",
                    data,
                    content_type=fmt.content_type,
                    retention=item.retention,
                ),
            )
            for fmt, data in result.files.items()
        )
        return result, files

    def add_version(
        self,
        actor: Actor,
        document_id: str,
        variables: dict[str, Any],
        formats: list[str] | None,
        paper: Paper | None = None,
    ) -> DocumentVersion:
        """Render new data as the next version of a document; older versions stay as they are.

        Without ``paper`` the new version keeps the paper of the one before it.
        """
        current = self._documents.lock(document_id)
        if current is None:
            raise NotFound(f"No document with id '{document_id}'.")
        manifest = self._templates.get(current.template_id)
        self._require_write(actor, manifest)
        if current.frozen_at is not None:
            raise Conflict(
                "This document has been sent for signature; its versions are frozen. "
                "Void the envelope before making a new version."
            )
        client = self._client(current.client_id)
        number = current.latest_version + 1
        if paper is None:
            previous = self._documents.get_version(document_id, current.latest_version)
            stored = previous.context.get("paper") if previous is not None else None
            paper = Paper(stored) if stored else None
        version = self._make_version(
            actor, manifest, current, number, client, variables, parse_formats(formats), self._clock.now(), paper
        )
        self._documents.add_version(version)
        self._record_version(actor, current, version, "document.version_created")
        return version

    def _record_version(self, actor: Actor, document: Document, version: DocumentVersion, action: str) -> None:
        pdf = version.file(FileFormat.PDF)
        self._audit.record(
            actor,
            action,
            {"document": document.id, "client": document.client_id},
            payload={
                "template": version.template_id,
                "template_version": version.template_version,
                "version": version.version,
                "clauses": [{"id": c.id, "version": c.version, "sha256": c.sha256} for c in version.clauses],
                "files": {
                    f.format.value: {"sha256": f.blob.sha256, "version_id": f.blob.version_id} for f in version.files
                },
            },
            document_sha256=pdf.blob.sha256 if pdf else None,
        )
        for listener in self._listeners:
            listener.document_version_created(actor, document, version)

    def _make_version(
        self,
        actor: Actor,
        manifest: TemplateManifest,
        document: Document,
        number: int,
        client: Client,
        variables: dict[str, Any],
        formats: tuple[FileFormat, ...],
        now: datetime,
        paper: Paper | None,
    ) -> DocumentVersion:
        item = self._prepared(manifest, document, number, client, variables, formats, now, paper)
        result, files = self._render_and_store(item)
        return self._version_record(actor, item, number, result, files, now)

    @staticmethod
    def _version_record(
        actor: Actor,
        item: _Prepared,
        number: int,
        result: RenderResult,
        files: tuple[StoredFile, ...],
        now: datetime,
    ) -> DocumentVersion:
        return DocumentVersion(
            document_id=item.document.id,
            version=number,
            template_id=item.manifest.id,
            template_version=result.template_version,
            document_date=item.context.document.date,
            variables=item.variables,
            clauses=result.clauses,
            signature_boxes=result.signature_boxes,
            library_versions=result.library_versions,
            context=context_snapshot(item.context),
            created_at=now,
            created_by=actor.label,
            files=files,
        )

    def _render(
        self, template_id: str, variables: dict[str, Any], context: AssemblyContext, formats: tuple[FileFormat, ...]
    ) -> RenderResult:
        return self._renderer.render(
            RenderJob(
                template_id=template_id,
                variables=variables,
                context=context,
                formats=formats,
                max_pages=self._budget.max_pages,
                timeout_seconds=self._budget.timeout_seconds,
            )
        )

    def preview(self, template_id: str, client_id: str | None, variables: dict[str, Any]) -> str:
        """Return the document as HTML without storing anything (for checking data before creating)."""
        manifest = self._templates.get(template_id)
        client = ClientInfo.from_client(self._client(client_id)) if client_id else PREVIEW_CLIENT
        now = self._clock.now()
        context = AssemblyContext(
            branding=self._branding,
            client=client,
            document=DocumentRef(id="PREVIEW", version=0, date=now.date(), created_at=now),
        )
        return self._renderer.html(assemble(manifest, self._with_review(manifest, variables), context))

    def _with_review(self, manifest: TemplateManifest, variables: dict[str, Any]) -> dict[str, Any]:
        """Mark the variables reviewed when counsel reviewed this exact template text (unless the request said)."""
        if REVIEWED_VARIABLE in variables or self._reviews is None:
            return variables
        if REVIEWED_VARIABLE not in manifest.schema.get("properties", {}):
            return variables
        if self._reviews.for_content(manifest.id, template_digest(manifest)) is None:
            return variables
        return {**variables, REVIEWED_VARIABLE: True}

    # -- reading -------------------------------------------------------------------------------------

    def get(self, document_id: str) -> Document:
        """Return the document with all its versions, or raise ``NotFound``."""
        document = self._documents.get(document_id)
        if document is None:
            raise NotFound(f"No document with id '{document_id}'.")
        return document

    def version(self, document_id: str, number: int) -> DocumentVersion:
        """Return one version, or raise ``NotFound``."""
        version = self._documents.get_version(document_id, number)
        if version is None:
            self.get(document_id)
            raise NotFound(f"Document '{document_id}' has no version {number}.")
        return version

    def file(self, document_id: str, number: int, fmt: FileFormat) -> tuple[StoredFile, bytes]:
        """Return a version's file record and exactly the stored bytes (by object version id)."""
        version = self.version(document_id, number)
        stored = version.file(fmt)
        if stored is None:
            raise NotFound(f"Version {number} of document '{document_id}' has no {fmt.value.upper()} file.")
        return stored, self._blobs.get(stored.blob.key, stored.blob.version_id)

    def search(self, where: DocumentFilter, limit: int, after: tuple[datetime, str] | None) -> DocumentPage:
        """Return one page of documents, newest first."""
        limit = max(1, min(limit, MAX_PAGE))
        rows = self._documents.search(where, limit + 1, after)
        items = rows[:limit]
        next_after = (items[-1].created_at, items[-1].id) if len(rows) > limit else None
        return DocumentPage(items=items, next_after=next_after)

    def diff(self, document_id: str, number: int, against: int) -> Redline:
        """Return the clause-level redline from version ``against`` to version ``number``."""
        document = self.get(document_id)
        new, old = self.version(document_id, number), self.version(document_id, against)
        return redline(
            as_assembled(old, document.title, document.kind), as_assembled(new, document.title, document.kind)
        )

    def rerender(self, document_id: str, number: int) -> RenderResult:
        """Render a stored version again from its recorded data (to prove the files are reproducible)."""
        version = self.version(document_id, number)
        document = self.get(document_id)
        manifest = self._templates.get(document.template_id)
        if manifest.version != version.template_version:
            raise Conflict(
                f"Version {number} was made with template {manifest.id} {version.template_version}; the library "
                f"now has {manifest.version}, so it cannot be re-rendered byte for byte."
            )
        context = context_from_snapshot(
            version.context,
            DocumentRef(id=document.id, version=number, date=version.document_date, created_at=version.created_at),
        )
        formats = tuple(f.format for f in version.files)
        return self._render(manifest.id, dict(version.variables), context, formats)

    # -- helpers -------------------------------------------------------------------------------------

    def _client(self, client_id: str) -> Client:
        client = self._clients.get(client_id)
        if client is None:
            raise InvalidInput(f"No client with id '{client_id}'.", errors=[FieldError("/client_id", "no such client")])
        return client

    @staticmethod
    def _require_write(actor: Actor, manifest: TemplateManifest) -> None:
        actor.require(WRITE_PERMISSION_BY_KIND.get(manifest.kind, Permission.KEYS_MANAGE))


class DocumentThaw:
    """Outcome listener that lets a document take new versions again once its envelope has ended.

    A document is frozen only while it is out for signature; after completion (a renewal is a new
    version) or a decline (a renegotiation is a new version) the signed or refused version stays as
    it is, and the document may grow.
    """

    def __init__(self, documents: DocumentRepository) -> None:
        self._documents = documents

    def envelope_sent(self, actor: Actor, envelope_id: str, document_id: str, version: int, sent_at: datetime) -> None:
        """Nothing to do: the envelope service froze the document when it sent it."""

    def envelope_viewed(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, viewed_at: datetime
    ) -> None:
        """Nothing to do: viewing does not change whether the document may grow."""

    def envelope_completed(
        self,
        actor: Actor,
        envelope_id: str,
        document_id: str,
        version: int,
        completed_at: datetime,
        signers: list[dict[str, str]],
    ) -> None:
        """Unfreeze the document of a completed envelope."""
        self._documents.unfreeze(document_id)

    def envelope_declined(
        self, actor: Actor, envelope_id: str, document_id: str, version: int, declined_at: datetime, reason: str
    ) -> None:
        """Unfreeze the document of a declined envelope."""
        self._documents.unfreeze(document_id)
