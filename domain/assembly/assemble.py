"""Assembly: variables + template -> the ordered, numbered clauses of one document version.

``assemble(manifest, variables, context)`` validates the variables (``TemplateDataInvalid`` lists every
bad field), picks one clause per slot (the first variant whose condition holds), renders each clause's
Jinja in the sandbox and parses the result once into a Markdown token stream. The returned
``AssembledDocument`` is what both writers (PDF via HTML, DOCX) consume and what the redline compares;
``AssembledDocument.record()`` is the JSON-able description stored with the version and embedded in the
PDF (template and clause ids, versions and hashes, and the input variables).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, UndefinedError
from jinja2.exceptions import SecurityError
from markdown_it.token import Token

from domain.assembly.context import AssemblyContext, Branding, ClientInfo, DocumentRef
from domain.assembly.manifest import ClauseSource, Signer, TemplateManifest
from domain.assembly.markdown import parse_clause_markdown, plain_text
from domain.assembly.paper import Paper
from domain.assembly.records import ClauseRecord
from domain.assembly.sandbox import compile_clause, compile_condition
from domain.assembly.variables import VariableLimits, validate_variables
from domain.document_kind import DocumentKind
from domain.errors import FieldError, TemplateDataInvalid, TemplateInvalid

#: The variable by which a template's input records that the MSP's counsel approved its text. The
#: layout reads it (draft marks); templates declare it as a boolean.
REVIEWED_VARIABLE = "counsel_reviewed"
_UNDEFINED_NAME = re.compile(r"^'([A-Za-z_][A-Za-z0-9_]*)' is undefined$")


@dataclass(frozen=True)
class AssembledClause:
    """One clause as it appears in the document: identity, number, title, rendered text and tokens."""

    id: str
    version: str
    sha256: str
    number: int
    title: str
    markdown: str
    text: str
    tokens: tuple[Token, ...] = field(compare=False, repr=False)

    def record(self) -> ClauseRecord:
        """Return what a document version keeps of this clause (no markdown source, no token stream)."""
        return ClauseRecord(self.id, self.version, self.sha256, self.number, self.title, self.text)

    def as_dict(self) -> dict[str, Any]:
        """Return the clause as JSON-able data (without the token stream)."""
        return self.record().as_dict()


@dataclass(frozen=True)
class AssembledDocument:
    """A document version ready to render: what template, for whom, which clauses with which text."""

    template_id: str
    template_version: str
    title: str
    kind: DocumentKind
    document: DocumentRef
    branding: Branding
    client: ClientInfo
    signers: tuple[Signer, ...]
    clauses: tuple[AssembledClause, ...]
    variables: Mapping[str, Any]
    paper: Paper = Paper.A4

    @property
    def reviewed(self) -> bool:
        """Whether the MSP's counsel approved this template text (the ``counsel_reviewed`` variable).

        An unreviewed document is printed as a draft: the mark sits outside the clause numbering, so
        clause numbers are the same before and after review.
        """
        return self.variables.get(REVIEWED_VARIABLE) is True

    def record(self) -> dict[str, Any]:
        """Return the JSON-able evidence of what went into this version (embedded in the PDF)."""
        return {
            "template": {"id": self.template_id, "version": self.template_version},
            "document": {
                "id": self.document.id,
                "version": self.document.version,
                "date": self.document.date.isoformat(),
            },
            "clauses": [{"id": c.id, "version": c.version, "sha256": c.sha256} for c in self.clauses],
            "variables": dict(self.variables),
        }


def _holds(expression: str, variables: Mapping[str, Any]) -> bool:
    try:
        return bool(compile_condition(expression)(**variables))
    except UndefinedError:
        # Comparing or calling a missing optional variable: the condition does not hold.
        return False
    except SecurityError as exc:
        raise TemplateInvalid(f"condition '{expression}' is not allowed: {exc}") from None


def _choose(manifest: TemplateManifest, variables: Mapping[str, Any]) -> list[ClauseSource]:
    chosen: list[ClauseSource] = []
    problems: list[FieldError] = []
    for index, slot in enumerate(manifest.slots):
        picked = next((v for v in slot.variants if v.when is None or _holds(v.when, variables)), None)
        if picked is not None:
            chosen.append(manifest.clauses[picked.clause])
        elif slot.required:
            names = ", ".join(v.clause for v in slot.variants)
            problems.append(FieldError("", f"slot {index + 1}: none of {names} applies to this input"))
    if problems:
        raise TemplateDataInvalid("the input selects no clause for a required slot", errors=problems)
    return chosen


def _render(clause: ClauseSource, context: Mapping[str, Any]) -> str:
    try:
        return compile_clause(clause.body).render(context)
    except UndefinedError as exc:
        match = _UNDEFINED_NAME.match(exc.message or "")
        pointer = f"/{match.group(1)}" if match else ""
        raise TemplateDataInvalid(
            f"clause {clause.id} needs a value that was not given",
            errors=[FieldError(pointer, f"needed by clause {clause.id}: {exc.message}")],
        ) from None
    except SecurityError as exc:
        raise TemplateInvalid(
            f"clause {clause.id} is not allowed to do that", errors=[FieldError(clause.path, str(exc))]
        ) from None
    except (ValueError, TypeError) as exc:
        raise TemplateDataInvalid(
            f"clause {clause.id} cannot use the input",
            errors=[FieldError("", f"clause {clause.id}: {exc}")],
        ) from None
    except TemplateError as exc:
        raise TemplateInvalid(f"clause {clause.id} failed", errors=[FieldError(clause.path, str(exc))]) from None


def assemble(
    manifest: TemplateManifest,
    variables: Any,
    context: AssemblyContext,
    *,
    limits: VariableLimits | None = None,
) -> AssembledDocument:
    """Validate ``variables``, choose and render the clauses, and return the assembled document."""
    clean = validate_variables(manifest.schema, variables, limits=limits)
    jinja_context = {
        **clean,
        "data": manifest.data,
        "branding": context.branding,
        "client": context.client,
        "document": context.document,
    }
    clauses: list[AssembledClause] = []
    for number, source in enumerate(_choose(manifest, clean), start=1):
        markdown = _render(source, jinja_context)
        tokens = parse_clause_markdown(markdown)
        clauses.append(
            AssembledClause(
                id=source.id,
                version=source.version,
                sha256=source.sha256,
                number=number,
                title=source.title,
                markdown=markdown,
                text=plain_text(tokens),
                tokens=tuple(tokens),
            )
        )
    return AssembledDocument(
        template_id=manifest.id,
        template_version=manifest.version,
        title=manifest.title,
        kind=manifest.kind,
        document=context.document,
        branding=context.branding,
        client=context.client,
        signers=manifest.signers,
        clauses=tuple(clauses),
        variables=clean,
        paper=context.resolved_paper,
    )
