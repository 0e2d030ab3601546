"""The template library and renderer ports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from domain.blobs import Retention as Retention
from domain.blobs import StoredBlob as StoredBlob

if TYPE_CHECKING:
    from domain.assembly.assemble import AssembledDocument
    from domain.assembly.manifest import TemplateManifest
    from domain.render_job import RenderJob, RenderResult


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
