"""``/v1/templates``: the template library, and an HTML preview that stores nothing."""

from __future__ import annotations

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from api.deps import DocumentServiceDep, ReaderDep, TemplateCatalogDep
from api.schemas.documents import PreviewRequest, TemplateDetail, TemplateSummary

router = APIRouter(prefix="/v1/templates", tags=["templates"])
TemplateId = Path(max_length=100, description="Template id, e.g. msa/msa")


@router.get("", response_model=list[TemplateSummary])
def list_templates(_actor: ReaderDep, catalog: TemplateCatalogDep) -> list[TemplateSummary]:
    """List every template: id, version, title, kind."""
    return [TemplateSummary.of(m) for m in catalog.list()]


@router.post("/{template_id:path}/preview", response_class=HTMLResponse)
def preview_template(
    body: PreviewRequest, _actor: ReaderDep, service: DocumentServiceDep, template_id: str = TemplateId
) -> HTMLResponse:
    """Render the template with the given data as HTML; nothing is stored."""
    return HTMLResponse(service.preview(template_id, body.client_id, body.variables))


@router.get("/{template_id:path}", response_model=TemplateDetail)
def get_template(_actor: ReaderDep, catalog: TemplateCatalogDep, template_id: str = TemplateId) -> TemplateDetail:
    """Describe one template: variables schema, clause slots with ids, versions and conditions, signers."""
    return TemplateDetail.of(catalog.get(template_id))
