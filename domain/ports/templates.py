"""The template library, its counsel reviews and the renderer ports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.assembly.assemble import AssembledDocument
    from domain.assembly.manifest import TemplateManifest
    from domain.render_job import RenderJob, RenderResult
    from domain.template_reviews import TemplateReview


class TemplateCatalog(Protocol):
    """The template library: manifests by id."""

    def list(self) -> list[TemplateManifest]:
        """Return every template, sorted by id."""
        ...

    def get(self, template_id: str) -> TemplateManifest:
        """Return one template; raise ``NotFound`` for an unknown id."""
        ...


class DocumentRenderer(Protocol):
    """Turns a render job into files, within its time and page budgets."""

    def render(self, job: RenderJob) -> RenderResult:
        """Render ``job``; raise ``RenderBudgetExceeded`` when it runs out of time or pages."""
        ...

    def html(self, document: AssembledDocument) -> str:
        """Return a self-contained HTML preview of an assembled document."""
        ...


class TemplateReviewRepository(Protocol):
    """Stored reviews of template texts (never changed once added)."""

    def add(self, review: TemplateReview) -> None:
        """Store a review; raise ``Conflict`` when this template text already has one."""
        ...

    def for_content(self, template_id: str, content_sha256: str) -> TemplateReview | None:
        """Return the review of this exact template text, or ``None``."""
        ...

    def latest(self) -> dict[str, TemplateReview]:
        """Return each template's most recent review (of whichever text), by template id."""
        ...
