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
"""

from domain.assembly.assemble import AssembledClause, AssembledDocument, assemble
from domain.assembly.context import (
    AssemblyContext,
    Branding,
    ClientContact,
    ClientInfo,
    Contact,
    DocumentRef,
)
from domain.assembly.docx_writer import DocxRenderer, render_docx
from domain.assembly.lint import LintIssue, TemplateSample, find_split_tags, lint_template
from domain.assembly.manifest import ClauseSource, Signer, Slot, SlotVariant, TemplateManifest
from domain.assembly.pdf import PdfRenderer, RenderedPdf, StrictUrlFetcher, render_pdf
from domain.assembly.records import ClauseRecord, SignatureBoxRecord
from domain.assembly.redline import Redline, redline
from domain.assembly.variables import VariableLimits, validate_variables

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
    "assemble",
    "find_split_tags",
    "lint_template",
    "redline",
    "render_docx",
    "render_pdf",
    "validate_variables",
]
