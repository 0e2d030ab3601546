"""Document assembly and rendering: template + variables -> clauses -> PDF/A-3b and DOCX.

Public API (all pure; files are read only by the renderers' constructors):

    manifest = TemplateLibrary(root).get("msa/msa")          # adapters.template_library
    document = assemble(manifest, variables, AssemblyContext(branding, client, DocumentRef(...)))
    pdf      = render_pdf(document, pdf_renderer, max_pages=40)   # RenderedPdf(data, sha256, page_count,
                                                                  #             signature_boxes)
    docx     = render_docx(document, docx_renderer)               # bytes
    diff     = redline(old_document, new_document)                # Redline: .as_dict(), .html()

``assemble`` raises ``TemplateDataInvalid`` (every bad field, JSON pointer + reason); ``render_pdf``
raises ``RenderBudgetExceeded`` beyond ``max_pages``; broken templates raise ``TemplateInvalid``.

``assemble`` and ``redline`` share their module's name, so import them from ``domain.assembly.assemble``
and ``domain.assembly.redline``. The names below are loaded on first use (PEP 562): importing one small
module of the package, such as ``domain.assembly.context``, must not load WeasyPrint and docxtpl with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AssembledClause": "domain.assembly.assemble",
    "AssembledDocument": "domain.assembly.assemble",
    "AssemblyContext": "domain.assembly.context",
    "Branding": "domain.assembly.context",
    "ClauseRecord": "domain.assembly.records",
    "ClauseSource": "domain.assembly.manifest",
    "ClientContact": "domain.assembly.context",
    "ClientInfo": "domain.assembly.context",
    "Contact": "domain.assembly.context",
    "DocumentRef": "domain.assembly.context",
    "DocxRenderer": "domain.assembly.docx_writer",
    "LintIssue": "domain.assembly.lint",
    "PdfRenderer": "domain.assembly.pdf",
    "Redline": "domain.assembly.redline",
    "RenderedPdf": "domain.assembly.pdf",
    "SignatureBoxRecord": "domain.assembly.records",
    "Signer": "domain.assembly.manifest",
    "Slot": "domain.assembly.manifest",
    "SlotVariant": "domain.assembly.manifest",
    "StrictUrlFetcher": "domain.assembly.pdf",
    "TemplateManifest": "domain.assembly.manifest",
    "TemplateSample": "domain.assembly.lint",
    "VariableLimits": "domain.assembly.variables",
    "find_split_tags": "domain.assembly.lint",
    "lint_template": "domain.assembly.lint",
    "render_docx": "domain.assembly.docx_writer",
    "render_pdf": "domain.assembly.pdf",
    "validate_variables": "domain.assembly.variables",
}

if TYPE_CHECKING:
    from domain.assembly.assemble import AssembledClause, AssembledDocument
    from domain.assembly.context import AssemblyContext, Branding, ClientContact, ClientInfo, Contact, DocumentRef
    from domain.assembly.docx_writer import DocxRenderer, render_docx
    from domain.assembly.lint import LintIssue, TemplateSample, find_split_tags, lint_template
    from domain.assembly.manifest import ClauseSource, Signer, Slot, SlotVariant, TemplateManifest
    from domain.assembly.pdf import PdfRenderer, RenderedPdf, StrictUrlFetcher, render_pdf
    from domain.assembly.records import ClauseRecord, SignatureBoxRecord
    from domain.assembly.redline import Redline
    from domain.assembly.variables import VariableLimits, validate_variables


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` when it is first asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'domain.assembly' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AssembledClause",
    "AssembledDocument",
    "AssemblyContext",
    "Branding",
    "ClauseRecord",
    "ClauseSource",
    "ClientContact",
    "ClientInfo",
    "Contact",
    "DocumentRef",
    "DocxRenderer",
    "LintIssue",
    "PdfRenderer",
    "Redline",
    "RenderedPdf",
    "SignatureBoxRecord",
    "Signer",
    "Slot",
    "SlotVariant",
    "StrictUrlFetcher",
    "TemplateManifest",
    "TemplateSample",
    "VariableLimits",
    "find_split_tags",
    "lint_template",
    "render_docx",
    "render_pdf",
    "validate_variables",
]
